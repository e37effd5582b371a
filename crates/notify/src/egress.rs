//! The egress guard: which addresses a webhook may reach (server-side request forgery).
//!
//! Webhook URLs are typed by users, so without a guard anyone allowed to configure a robot
//! could make the server POST to `http://127.0.0.1:…/admin`, an intranet service, or the cloud
//! metadata endpoint `169.254.169.254` (Zammad CVE-2025-32358). The rule: only `http` and
//! `https`, and every address connected to must be globally routable unless its host is in
//! [`crate::WebhookPolicy::allowed_hosts`].
//!
//! Where the check happens, so that nothing reaches a socket unchecked:
//! - **IP-literal URLs** (`http://10.0.0.1/`, `http://[::1]/`, also `http://2130706433/`, which
//!   the URL parser normalises to `127.0.0.1`) are checked in [`Egress::check_url`] before the
//!   request is built; hyper never resolves IP literals.
//! - **Host names** are checked in [`GuardedResolver`], the HTTP client's only DNS resolver:
//!   it resolves the name, refuses if *any* address is non-global, and hands exactly the
//!   addresses it checked to the connector. There is no second lookup between check and
//!   connect, so DNS rebinding (first answer public, second answer 127.0.0.1) cannot slip
//!   through.
//! - **Redirects** are followed at most [`MAX_REDIRECTS`] times; each target's scheme and IP
//!   literal is checked in the redirect policy, and a host-name target goes through the
//!   resolver like any other connection.
//! - The client ignores `HTTP(S)_PROXY`: through a proxy the resolver would only see the
//!   proxy's name and the guard would check nothing.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::ConfigError;

/// Redirects followed at most for one request.
pub const MAX_REDIRECTS: usize = 3;

/// Why a destination was refused. Travels inside `reqwest::Error` source chains, where
/// [`crate::webhook`] finds it again to classify the failure as permanent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("URL scheme {0:?} is not allowed for webhooks (only http and https)")]
    Scheme(String),
    #[error("webhook URL has no host")]
    NoHost,
    #[error("{} (add the host to webhooks.allowed_hosts if this is intended)", describe(host, addr, kind))]
    Address { host: String, addr: IpAddr, kind: &'static str },
    #[error("too many redirects (more than {MAX_REDIRECTS})")]
    TooManyRedirects,
}

fn describe(host: &str, addr: &IpAddr, kind: &str) -> String {
    if host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok() {
        format!("refused to connect to {addr}: a {kind} address")
    } else {
        format!("refused to connect to host {host}: it resolves to {addr}, a {kind} address")
    }
}

/// The allow-list and the checks.
#[derive(Debug)]
pub(crate) struct Egress {
    allowed: HashSet<String>,
}

impl Egress {
    pub(crate) fn new(allowed_hosts: &[String]) -> Result<Egress, ConfigError> {
        let mut allowed = HashSet::new();
        for raw in allowed_hosts {
            let host = normalize_host(raw);
            // A bare host only: "host:port", URLs or paths would silently never match.
            if host.is_empty()
                || host.contains(['/', '@', ' '])
                || (host.contains(':') && host.parse::<Ipv6Addr>().is_err())
            {
                return Err(ConfigError::InvalidAllowedHost(raw.clone()));
            }
            allowed.insert(host);
        }
        Ok(Egress { allowed })
    }

    pub(crate) fn is_allowed(&self, host: &str) -> bool {
        !self.allowed.is_empty() && self.allowed.contains(&normalize_host(host))
    }

    /// Scheme and IP-literal check of a URL about to be requested (first request or redirect).
    /// Host names are checked later, by [`GuardedResolver`], at connect time.
    pub(crate) fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(Refusal::Scheme(other.to_owned())),
        }
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host,
            _ => return Err(Refusal::NoHost),
        };
        // For http(s) the URL parser has already normalised every IPv4 spelling (decimal,
        // hex, short forms) to dotted quads and IPv6 to bracketed form, so this parse sees
        // every IP literal; anything else is a domain name, checked by the resolver.
        match normalize_host(host).parse::<IpAddr>() {
            Ok(addr) => self.check_addr(host, addr),
            Err(_) => Ok(()),
        }
    }

    fn check_addr(&self, host: &str, addr: IpAddr) -> Result<(), Refusal> {
        match non_global(addr) {
            Some(kind) if !self.is_allowed(host) => Err(Refusal::Address { host: host.to_owned(), addr, kind }),
            _ => Ok(()),
        }
    }
}

/// Lower-case, without IPv6 brackets or a trailing root dot.
fn normalize_host(host: &str) -> String {
    let host = host.trim().trim_end_matches('.');
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    host.to_ascii_lowercase()
}

/// The HTTP client's DNS resolver: resolves, checks every address, and returns exactly the
/// checked addresses to the connector (see the module documentation).
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) egress: Arc<Egress>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let egress = Arc::clone(&self.egress);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("host {host} has no address").into());
            }
            for addr in &addrs {
                if let Err(refusal) = egress.check_addr(&host, addr.ip()) {
                    tracing::warn!(%host, addr = %addr.ip(), "webhook destination refused");
                    return Err(Box::new(refusal) as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// Why `ip` is not a globally routable unicast address ("loopback", "private", …), or `None`
/// when it is one. Conservative: special-purpose ranges (IANA registries) count as
/// non-global, and IPv4 embedded in IPv6 (mapped, NAT64) is judged as the IPv4 address.
pub fn non_global(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_global_v4(v4),
        IpAddr::V6(v6) => non_global_v6(v6),
    }
}

fn non_global_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let kind = match (a, b, c) {
        (0, ..) => "unspecified (0.0.0.0/8)",
        (127, ..) => "loopback",
        (10, ..) => "private",
        (172, 16..=31, _) => "private",
        (192, 168, _) => "private",
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared (carrier-grade NAT)",
        (192, 0, 0) => "IETF protocol assignment",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "6to4 relay anycast",
        (198, 18..=19, _) => "benchmarking",
        (224..=239, ..) => "multicast",
        (240..=255, ..) => "reserved or broadcast",
        _ => return None,
    };
    Some(kind)
}

fn non_global_v6(ip: Ipv6Addr) -> Option<&'static str> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_global_v4(v4);
    }
    let seg = ip.segments();
    // NAT64 well-known prefix 64:ff9b::/96 carries an IPv4 address in the last 32 bits.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, hi, lo] = seg;
        return non_global_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    let kind = if ip.is_unspecified() {
        "unspecified"
    } else if ip.is_loopback() {
        "loopback"
    } else if seg[0] & 0xfe00 == 0xfc00 {
        "private (unique local fc00::/7)"
    } else if seg[0] & 0xffc0 == 0xfe80 {
        "link-local"
    } else if seg[0] & 0xffc0 == 0xfec0 {
        "site-local"
    } else if seg[0] & 0xff00 == 0xff00 {
        "multicast"
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 || seg[0] == 0x3fff && seg[1] & 0xf000 == 0 {
        "documentation"
    } else if seg[0] == 0x2002 {
        "6to4 (may embed a private IPv4 address)"
    } else if seg[0] == 0x2001 && seg[1] < 0x0200 {
        "IETF protocol assignment (2001::/23, incl. Teredo)"
    } else if seg[0] & 0xe000 != 0x2000 {
        // Outside 2000::/3, the only range allocated for global unicast.
        "reserved or special-purpose"
    } else {
        return None;
    };
    Some(kind)
}
