#!/usr/bin/env python3
"""Places in src/config's non-test code that name a setting (issue 23: "each setting declared
once"), per setting on average.

A place: a line, or a run of consecutive lines (one wrapped statement or one field with its
attributes), holding a whole-word occurrence of the setting's TOML key or of its Rust field name,
in code or a string literal (comments stripped), in src/config/**/*.rs outside src/config/tests/
and `#[cfg(test)]` modules. Usage: python3 benches/setting_mentions.py src/config [-v]
(-v: each setting's count). The settings are listed below: the top-level keys and `[keys]`'s
(`[users]`'s live in the domain).
"""
import pathlib, re, sys

# (TOML key, Rust field name or None when the same); `console`'s key is counted only as the
# string "console" (the word is also the struct's field and module name).
SETTINGS = [
    ("listen", None), ("data_dir", None), ("keys_dir", None), ("issuer", None),
    ("default_token_ttl", None), ("max_token_ttl", None), ("jwks_max_age", None),
    ("shutdown_timeout_secs", "shutdown_timeout"), ("shutdown_delay_secs", "shutdown_delay"),
    ("signer", None), ("signer_threads", None), ("io", None), ("io_threads", None),
    ("signing_queue", None), ("max_revocations_per_client", None), ("db_cache_mb", None),
    ("store_write_queue", None), ("store_write_timeout_secs", "store_write_timeout"),
    ("max_connections", None), ("first_byte_timeout_secs", "first_byte_timeout"),
    ("header_read_timeout_secs", "header_read_timeout"),
    ("body_read_timeout_secs", "body_read_timeout"), ("body_budget_mb", None),
    ("idle_timeout_secs", "idle_timeout"),
    ("h2_keepalive_interval_secs", "h2_keepalive_interval"),
    ("h2_keepalive_timeout_secs", "h2_keepalive_timeout"),
    ("h2_max_concurrent_streams", None), ("metrics_listen", None), ("audit_log", None),
    ("tls_cert", None), ("tls_key", None),  # the fields `cert`/`key` are too common a word
    ("tls_handshake_timeout_secs", "handshake_timeout"),
    ("tls_watch_interval_secs", "watch_interval"),
    ("database_url", None), ("master_key_file", None),
    ("database_stale_secs", "database_stale"), ("database_pool_size", None),
    ('"console"', "enabled"),
    ("console_session_idle_secs", "session_idle"), ("console_session_max_secs", "session_max"),
    ("console_max_sessions", "max_sessions"), ("console_secure_cookies", "secure_cookies"),
    ("rotation_period_secs", None), ("prepublish_secs", None), ("algorithms", None),
]

def strip(text):
    # drop #[cfg(test)] mod blocks (to the end of the file: they close every file here)
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    if m:
        text = text[: m.start()]
    # comments (not inside strings: good enough for this code)
    return "\n".join(re.sub(r"(^|[^:\"])//.*$", r"\1", line) for line in text.splitlines())

def main():
    root = pathlib.Path(sys.argv[1])
    files = [p for p in root.rglob("*.rs") if "tests" not in p.relative_to(root).parts]
    code = {p: strip(p.read_text()) for p in files}
    total = 0
    for key, field in SETTINGS:
        pats = [re.escape(key) if key.startswith('"') else r"\b%s\b" % re.escape(key)]
        if field:
            pats.append(r"\b%s\b" % re.escape(field))
        rx = re.compile("|".join(pats))
        n = 0
        for c in code.values():
            prev = False
            for line in c.splitlines():
                hit = bool(rx.search(line))
                # a run of lines mentioning it (one rustfmt-wrapped statement) is one place
                n += hit and not prev
                prev = hit
        total += n
        if "-v" in sys.argv:
            print(f"{n:3} {key}")
    print(f"{len(SETTINGS)} settings, {total} places, {total / len(SETTINGS):.1f} on average")

main()
