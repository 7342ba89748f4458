//! The `htu` comparison of RFC 9449 §4.3: the target URI without query and fragment, after
//! RFC 3986 §6.2.2–6.2.3 normalization (case, percent-encoding, dot segments, default port).

/// `url` as a DPoP proof's `htu` is compared: http(s) only, query and fragment dropped, scheme
/// and host lower-cased, the default port and dot segments removed, an empty path made `/`.
/// `None` when it is not an absolute http(s) URL with a host.
///
/// The WHATWG parser (the `url` crate) does the syntax-based normalization; what it adds beyond
/// RFC 3986 (IDNA host mapping, `\` as `/`) only makes more spellings of the same URL equal.
pub fn normalize_htu(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return None;
    }
    parsed.set_query(None);
    parsed.set_fragment(None);
    let path = decode_unreserved(parsed.path());
    parsed.set_path(&path);
    Some(parsed.into())
}

/// RFC 3986 §6.2.2.1–2: a percent-encoded unreserved character is that character, and the hex
/// digits of the other triplets are upper case (the WHATWG parser does neither).
fn decode_unreserved(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = String::with_capacity(path.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let triplet = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok().map(|v| (hex, v)));
        match triplet {
            Some((_, v)) if v.is_ascii_alphanumeric() || b"-._~".contains(&v) => {
                out.push(char::from(v));
                i += 3;
            }
            Some((hex, _)) => {
                out.push('%');
                out.push_str(&hex.to_ascii_uppercase());
                i += 3;
            }
            None => {
                out.push(char::from(b));
                i += 1;
            }
        }
    }
    out
}
