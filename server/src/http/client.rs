//! Who is asking, and how: the client's address (for throttling sign-ins
//! and the audit log) and whether the request came over HTTPS (for the
//! cookies' `Secure` flag and `__Host-` prefix).
//!
//! A reverse proxy's `X-Forwarded-For` and `X-Forwarded-Proto` are believed
//! only from the configured `--trusted-proxy`; anyone else could write them.

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::AppState;
use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub address: IpAddr,
    pub https: bool,
}

impl Client {
    pub fn of(parts: &Parts, config: &Config) -> Client {
        // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_canonical());
        let via_proxy = peer.is_some() && peer == config.trusted_proxy.map(|p| p.to_canonical());
        // The proxy appends the address it saw: the last entry of the last
        // header line (a client may send lines of its own before it).
        let last_line = |name: &str| parts.headers.get_all(name).iter().next_back().and_then(|v| v.to_str().ok());
        let forwarded_for = last_line("x-forwarded-for")
            .filter(|_| via_proxy)
            .and_then(|v| v.rsplit(',').next())
            .and_then(|a| a.trim().parse::<IpAddr>().ok())
            .map(|a| a.to_canonical());
        let forwarded_https = via_proxy && last_line("x-forwarded-proto").is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Client {
            // Requests handed to the router without a connection (tests)
            // share one unspecified address.
            address: forwarded_for.or(peer).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            https: config.https() || forwarded_https,
        }
    }

    /// A cookie's name: over HTTPS with the `__Host-` prefix, which browsers
    /// accept only from a secure origin, for the whole site, with no domain.
    pub fn cookie_name(&self, base: &str) -> String {
        if self.https { format!("__Host-{base}") } else { base.to_string() }
    }

    /// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, whole site, and
    /// `Secure` over HTTPS.
    pub fn set_cookie(&self, base: &str, value: &str, max_age_seconds: i64) -> String {
        let secure = if self.https { "; Secure" } else { "" };
        format!("{}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}", self.cookie_name(base))
    }
}

impl FromRequestParts<AppState> for Client {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Client::of(parts, &state.config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(peer: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder().uri("/");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let (mut parts, _) = request.body(()).unwrap().into_parts();
        parts.extensions.insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        parts
    }

    #[test]
    fn forwarded_headers_count_only_from_the_trusted_proxy() {
        let mut config = Config::new("sqlite::memory:".into(), "127.0.0.1:8080".parse().unwrap());
        let forwarded = [("x-forwarded-for", "1.2.3.4, 10.9.9.9"), ("x-forwarded-proto", "https")];
        let c = Client::of(&parts("10.0.0.5:5000", &forwarded), &config);
        assert_eq!(c, Client { address: "10.0.0.5".parse().unwrap(), https: false });
        config.trusted_proxy = Some("10.0.0.5".parse().unwrap());
        let c = Client::of(&parts("10.0.0.5:5000", &forwarded), &config);
        assert_eq!(c, Client { address: "10.9.9.9".parse().unwrap(), https: true });
        let c = Client::of(&parts("10.0.0.6:5000", &forwarded), &config);
        assert_eq!(c.address, "10.0.0.6".parse::<IpAddr>().unwrap());
        // The proxy seen as an IPv4-mapped IPv6 peer, and a client's own
        // header line before the proxy's.
        let two_lines = [("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "1.2.3.4, 10.9.9.8")];
        let c = Client::of(&parts("[::ffff:10.0.0.5]:5000", &two_lines), &config);
        assert_eq!(c.address, "10.9.9.8".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn https_cookies_are_secure_host_cookies() {
        let mut config = Config::new("sqlite::memory:".into(), "127.0.0.1:8080".parse().unwrap());
        let plain = Client::of(&parts("127.0.0.1:1", &[]), &config);
        assert_eq!(plain.set_cookie("zx_session", "v", 60), "zx_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
        config.public_url = Some("https://zx.example".into());
        let secure = Client::of(&parts("127.0.0.1:1", &[]), &config);
        assert_eq!(secure.set_cookie("zx_session", "v", 60), "__Host-zx_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
    }
}
