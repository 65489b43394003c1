# shellcheck shell=bash
# free_port: prints a free TCP port on 127.0.0.1, chosen by the kernel, or,
# when python3 is missing (sudo's PATH, a bare machine), the first of
# 54320-54420 that nothing answers on. Fails when none is free.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null && return
    local port
    for port in $(seq 54320 54420); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    return 1
}
