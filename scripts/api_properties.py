"""Random requests against the API from its own OpenAPI document; see
scripts/api-properties. Arguments: base URL, leader token, unit token,
number of requests, seed."""
import json
import random
import sys
import urllib.error
import urllib.parse
import urllib.request

from openapi_schema_validator import OAS30Validator

BASE, LEADER, UNIT, COUNT, SEED = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(SEED)


def get(path, token=None):
    request = urllib.request.Request(BASE + path)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


status, _, body = get("/api/v1/openapi.json")
assert status == 200, status
doc = json.loads(body)
prefix = doc["servers"][0]["url"]


def deref(node):
    """`node` with its `$ref` followed (one level at a time)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 10:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node, seen = target, seen + 1
    return node


# Values a client might send: valid ones from the schema, and hostile ones.
HOSTILE = ["", "abc", "-1", "0", "1e9", "99999999999999999999", "2025.5", "%00", "中文", "' OR 1=1 --", "../..", " ", "null", "[]"]
UNITS = ["330302", "330303", "330381", "D002", "330302006", "999999", "", "x" * 300]
INDICATORS = ["dishonesty", "hotline_ontime", "commit_ontime", "debt_ratio", "public_rating", "nope"]


def value_for(param):
    schema = deref(param.get("schema", {}))
    if rng.random() < 0.3:
        return rng.choice(HOSTILE)
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", 1), schema.get("maximum", 3000)
        if param["name"] == "year":
            low, high = 2020, 2028
        return str(rng.randint(low, min(high, low + 600)))
    if param["name"] == "code":
        return rng.choice(UNITS)
    if param["name"] == "indicator":
        return rng.choice(INDICATORS)
    return rng.choice(["a", "X2025", "H", "鹿城"])


operations = [(path, op) for path, item in doc["paths"].items() for method, op in item.items() if method == "get"]
findings, seen = [], {}
for n in range(COUNT):
    path, op = rng.choice(operations)
    params = [deref(p) for p in op.get("parameters", [])]
    url, query = path, {}
    for p in params:
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", urllib.parse.quote(value_for(p), safe=""))
        elif rng.random() < 0.6:
            query[p["name"]] = value_for(p)
    if rng.random() < 0.1:
        query[rng.choice(["zzz", "year", "page"])] = rng.choice(HOSTILE)
    full = prefix + url + ("?" + urllib.parse.urlencode(query) if query else "")
    who, token = rng.choice([("anonymous", None), ("leader", LEADER), ("unit", UNIT)])
    status, content_type, body = get(full, token)
    key = f"{path} {status}"
    seen[key] = seen.get(key, 0) + 1
    responses = op["responses"]
    if str(status) not in responses:
        findings.append(f"undocumented status {status} for {who} GET {full}: {body[:200]!r}")
        continue
    response = deref(responses[str(status)])
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        continue
    if not content_type.startswith("application/json"):
        findings.append(f"{status} is not JSON ({content_type}) for {who} GET {full}")
        continue
    try:
        OAS30Validator({**deref(schema), "components": doc["components"]}).validate(json.loads(body))
    except Exception as e:  # a schema mismatch: say where
        findings.append(f"schema mismatch for {who} GET {full} ({status}): {str(e).splitlines()[0]}")

print(f"{COUNT} requests (seed {SEED}); answers per route and status:")
for key in sorted(seen):
    print(f"  {seen[key]:5}  {key}")
unique = sorted(set(findings))
for f in unique[:50]:
    print("FINDING:", f)
print(f"{len(unique)} distinct finding(s)")
sys.exit(1 if unique else 0)
