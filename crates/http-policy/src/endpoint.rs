//! Endpoint URLs: what users type, and where a token may be sent.

use std::net::IpAddr;
use url::Url;

/// What a URL given on the command line must satisfy.
#[derive(Debug, Clone, Copy, Default)]
pub struct EndpointRules {
    /// A token (API key) will be sent to this endpoint. Credentials in the URL's userinfo
    /// (`https://user:password@host`) count as a token whatever this says.
    pub carries_token: bool,
    /// The user passed `--allow-insecure-http`: plain http to a non-loopback host is accepted
    /// even when a token is sent.
    pub allow_insecure_http: bool,
}

/// Why an endpoint URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndpointError {
    /// Empty after trimming.
    #[error("the URL is empty")]
    Empty,
    /// Not parseable as a URL.
    #[error("`{url}` is not a valid URL: {reason}")]
    Invalid {
        /// The URL, with any credentials removed.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// A scheme other than http or https.
    #[error("`{url}` uses the scheme `{scheme}`; only http and https are supported")]
    Scheme {
        /// The URL, with any credentials removed.
        url: String,
        /// The scheme found.
        scheme: String,
    },
    /// A token or the URL's credentials would travel in clear text to another machine.
    #[error(
        "refusing to send a token over plain http to `{host}`, which is not a loopback address (credentials in a URL count as a token); use https, or pass --allow-insecure-http if you accept that risk"
    )]
    InsecureHttp {
        /// The host the token would go to.
        host: String,
    },
}

/// Parses an endpoint the way users type it.
///
/// A bare host (`abc123.live.dynatrace.com`, as the seed's users write it) gets `https://`.
/// Plain `http://` is accepted for loopback hosts; elsewhere only when no token is sent, the
/// URL holds no credentials (userinfo), or the user allowed it explicitly.
///
/// # Errors
/// See [`EndpointError`].
pub fn parse_endpoint(raw: &str, rules: EndpointRules) -> Result<Url, EndpointError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(EndpointError::Empty);
    }
    let with_scheme = if raw.contains("://") {
        raw.to_owned()
    } else {
        format!("https://{raw}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| EndpointError::Invalid {
        url: redact_str(&with_scheme),
        reason: e.to_string(),
    })?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let credentials = !url.username().is_empty() || url.password().is_some();
            if (rules.carries_token || credentials)
                && !rules.allow_insecure_http
                && !is_loopback(&url)
            {
                return Err(EndpointError::InsecureHttp {
                    host: url.host_str().unwrap_or_default().to_owned(),
                });
            }
        }
        other => {
            return Err(EndpointError::Scheme {
                url: redact_url(&url),
                scheme: other.to_owned(),
            });
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EndpointError::Invalid {
            url: redact_url(&url),
            reason: "no host".to_owned(),
        });
    }
    Ok(url)
}

/// True for `localhost` and the loopback ranges 127.0.0.0/8 and ::1.
#[must_use]
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// The URL for messages: user info and query removed (a token may hide in either).
#[must_use]
pub fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    let _ = u.set_username("");
    let _ = u.set_password(None);
    if u.query().is_some() {
        u.set_query(Some("…"));
    }
    u.to_string()
}

fn redact_str(raw: &str) -> String {
    // Unparseable: cut at '@' and '?' so no credential survives.
    let after_scheme = raw.find("://").map_or(0, |i| i + 3);
    let mut out = raw.to_owned();
    if let Some(at) = raw[after_scheme..].find('@') {
        out = format!("{}{}", &raw[..after_scheme], &raw[after_scheme + at + 1..]);
    }
    if let Some(q) = out.find('?') {
        out.truncate(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: EndpointRules = EndpointRules {
        carries_token: true,
        allow_insecure_http: false,
    };

    #[test]
    fn bare_host_gets_https() {
        let u = parse_endpoint("abc123.live.dynatrace.com", TOKEN).unwrap();
        assert_eq!(u.as_str(), "https://abc123.live.dynatrace.com/");
    }

    #[test]
    fn plain_http_only_to_loopback_with_a_token() {
        assert!(parse_endpoint("http://127.0.0.1:9091", TOKEN).is_ok());
        assert!(parse_endpoint("http://127.8.9.1:9091", TOKEN).is_ok());
        assert!(parse_endpoint("http://localhost:14499/metrics/ingest", TOKEN).is_ok());
        assert!(parse_endpoint("http://[::1]:80", TOKEN).is_ok());
        let err = parse_endpoint("http://tenant.example.com", TOKEN).unwrap_err();
        assert!(matches!(err, EndpointError::InsecureHttp { .. }), "{err}");
        let allowed = EndpointRules {
            allow_insecure_http: true,
            ..TOKEN
        };
        assert!(parse_endpoint("http://tenant.example.com", allowed).is_ok());
        assert!(parse_endpoint("http://tenant.example.com", EndpointRules::default()).is_ok());
    }

    #[test]
    fn userinfo_is_a_credential_even_without_a_token() {
        let none = EndpointRules::default();
        for raw in [
            "http://user:pw@192.0.2.1:9091",
            "http://user@192.0.2.1:9091",
            "http://:pw@gateway.example",
        ] {
            let err = parse_endpoint(raw, none).unwrap_err();
            assert!(
                matches!(err, EndpointError::InsecureHttp { .. }),
                "{raw}: {err}"
            );
            assert!(!err.to_string().contains("pw"), "{err}");
        }
        assert!(parse_endpoint("http://user:pw@127.0.0.1:9091", none).is_ok());
        assert!(parse_endpoint("https://user:pw@gateway.example", none).is_ok());
        let allowed = EndpointRules {
            allow_insecure_http: true,
            ..none
        };
        assert!(parse_endpoint("http://user:pw@192.0.2.1:9091", allowed).is_ok());
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_credentials() {
        assert_eq!(parse_endpoint("  ", TOKEN), Err(EndpointError::Empty));
        let e = parse_endpoint("ftp://user:secretpw@host/x", TOKEN).unwrap_err();
        assert!(!e.to_string().contains("secretpw"), "{e}");
        let e = parse_endpoint("https://user:secretpw@[bad/x?token=abc", TOKEN).unwrap_err();
        assert!(!e.to_string().contains("secretpw"), "{e}");
        assert!(!e.to_string().contains("abc"), "{e}");
    }
}
