//! Which network addresses the dealer may fetch a key set or a discovery document from (a
//! client's `jwks_uri`, a trusted issuer's): the guard against server-side request forgery.
//!
//! Never: link-local (169.254.0.0/16, cloud metadata among it; fe80::/10), unspecified,
//! multicast, broadcast. Loopback only in development (`jwks_allow_http_loopback`); private
//! ranges (RFC 1918, fc00::/7, 100.64.0.0/10, and the special-purpose 192.0.0.0/24, 198.18.0.0/15,
//! fec0::/10, 64:ff9b:1::/48, Teredo) only when allowed (`jwks_allow_private_addresses`). An IPv6
//! address that carries an IPv4 one (mapped, compatible, translated, NAT64's 64:ff9b::/96, 6to4)
//! is judged as that IPv4 address.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of address an IP is, as far as fetching goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressClass {
    /// Link-local, unspecified, multicast or broadcast: never fetched from.
    Forbidden(&'static str),
    Loopback,
    Private,
    Public,
}

/// The addresses fetches may reach beyond public ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchAllowance {
    pub loopback: bool,
    pub private: bool,
}

impl FetchAllowance {
    /// `None` when `ip` may be fetched from, else why not (for the log and the audit).
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        match classify(ip) {
            AddressClass::Forbidden(why) => Some(why),
            AddressClass::Loopback if !self.loopback => {
                Some("a loopback address (development only: jwks_allow_http_loopback)")
            }
            AddressClass::Private if !self.private => {
                Some("a private address (allowed only by jwks_allow_private_addresses)")
            }
            _ => None,
        }
    }
}

/// The class of `ip`; an IPv4-mapped IPv6 address is judged as its IPv4 address.
pub fn classify(ip: IpAddr) -> AddressClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddressClass {
    let [a, b, ..] = ip.octets();
    if ip.is_link_local() {
        AddressClass::Forbidden("a link-local address (169.254.0.0/16, cloud metadata)")
    } else if ip.is_unspecified() || a == 0 {
        AddressClass::Forbidden("an unspecified address")
    } else if ip.is_multicast() || a >= 240 {
        AddressClass::Forbidden("a multicast, reserved or broadcast address")
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if ip.is_private()
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..20).contains(&b))
    {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

/// The IPv4 address an IPv6 one carries: IPv4-compatible (::a.b.c.d, deprecated), IPv4-translated
/// (::ffff:0:a.b.c.d), NAT64's well-known prefix (64:ff9b::/96, RFC 6052) or 6to4 (2002::/16).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match seg {
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => Some(low(hi, lo)),
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(low(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddressClass {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let [first, second, ..] = ip.segments();
    if first & 0xffc0 == 0xfe80 {
        AddressClass::Forbidden("a link-local address (fe80::/10)")
    } else if ip.is_unspecified() {
        AddressClass::Forbidden("an unspecified address")
    } else if ip.is_multicast() {
        AddressClass::Forbidden("a multicast address")
    } else if ip.is_loopback() {
        AddressClass::Loopback
    } else if first & 0xfe00 == 0xfc00
        || first & 0xffc0 == 0xfec0
        || (first == 0x64 && second == 0xff9b)
        || (first == 0x2001 && second == 0)
    {
        AddressClass::Private
    } else {
        AddressClass::Public
    }
}

/// The address a URL's host is when it is written as one; `None` for a host name.
pub fn literal_address(url: &url::Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// The reason a URL's host is refused whatever the settings, when it is a literal address that
/// is never fetched from (checked at registration: such a URL could never work).
pub fn forbidden_literal(url: &url::Url) -> Option<&'static str> {
    match classify(literal_address(url)?) {
        AddressClass::Forbidden(why) => Some(why),
        _ => None,
    }
}

impl FetchAllowance {
    /// The reason a URL's host is refused under this allowance, when it is a literal address
    /// the fetcher would not connect to. A host name is not resolved here: what it resolves to
    /// is judged at each fetch, and may change.
    pub fn literal_refusal(&self, url: &url::Url) -> Option<&'static str> {
        self.refusal(literal_address(url)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddressClass {
        classify(s.parse().unwrap())
    }

    #[test]
    fn an_ipv6_address_carrying_an_ipv4_one_is_judged_as_that_address() {
        for (ip, v4) in [
            ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
            ("64:ff9b::a00:1", "10.0.0.1"),
            ("2002:a9fe:a9fe::1", "169.254.169.254"),
            ("::7f00:1", "127.0.0.1"),
            ("::ffff:0:7f00:1", "127.0.0.1"),
            ("64:ff9b::808:808", "8.8.8.8"),
            ("::5", "0.0.0.5"),
        ] {
            assert_eq!(class(ip), class(v4), "{ip}");
        }
        for ip in [
            "fec0::1",
            "64:ff9b:1::1",
            "2001:0:4136:e378::1",
            "198.18.0.1",
            "192.0.0.1",
        ] {
            assert_eq!(class(ip), AddressClass::Private, "{ip}");
        }
    }

    #[test]
    fn metadata_link_local_multicast_broadcast_and_unspecified_addresses_are_never_fetched() {
        for ip in [
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",
            "::",
            "224.0.0.1",
            "255.255.255.255",
            "ff02::1",
            "::ffff:169.254.169.254",
        ] {
            assert!(matches!(class(ip), AddressClass::Forbidden(_)), "{ip}");
        }
    }

    #[test]
    fn a_literal_host_is_judged_by_the_allowance_and_a_host_name_is_left_to_the_fetch() {
        let none = FetchAllowance::default();
        let refusal = |s: &str| none.literal_refusal(&url::Url::parse(s).unwrap());
        let private = refusal("https://10.0.0.1/jwks").unwrap();
        assert!(
            private.contains("jwks_allow_private_addresses"),
            "{private}"
        );
        let loopback = refusal("http://[::1]:8443/jwks").unwrap();
        assert!(loopback.contains("jwks_allow_http_loopback"), "{loopback}");
        assert_eq!(refusal("https://localhost/jwks"), None);
        assert_eq!(refusal("https://93.184.216.34/jwks"), None);
    }

    #[test]
    fn loopback_and_private_ranges_need_their_settings_and_public_addresses_do_not() {
        let none = FetchAllowance::default();
        for ip in [
            "127.0.0.1",
            "::1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(none.refusal(ip.parse().unwrap()).is_some(), "{ip}");
        }
        let both = FetchAllowance {
            loopback: true,
            private: true,
        };
        for ip in ["127.0.0.1", "::1", "10.1.2.3", "100.127.255.255", "fc00::1"] {
            assert_eq!(both.refusal(ip.parse().unwrap()), None, "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1", "100.128.0.1"] {
            assert_eq!(class(ip), AddressClass::Public, "{ip}");
        }
    }
}
