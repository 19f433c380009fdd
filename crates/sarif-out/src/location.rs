//! Where a finding is, as a URI GitHub code scanning accepts, and its stable fingerprint.

use findings::{Finding, InputInfo};

/// The URI of the last resort, when a finding names no path, target or artifact.
const NO_LOCATION: &str = "unknown";

/// The finding's `artifactLocation.uri`: a relative reference (never one with a scheme, which
/// GitHub would take as an absolute URI and reject against the checkout's `file` root).
///
/// The package's path inside the artifact when the scanner names one (language packages),
/// else the target without Trivy's ` (os version)` suffix (the image's repository when the
/// target is the scanned image: its tag and digest change between runs, and alerts should
/// not), else the artifact's name. Leading `/` are dropped (paths are relative to the
/// repository root) and everything outside RFC 3986's path characters is percent-encoded,
/// `:` included.
pub(crate) fn uri(f: &Finding, input: &InputInfo) -> String {
    let artifact = input.artifact.as_deref().map(str::trim).unwrap_or("");
    let raw = match f.pkg_path.as_deref().map(str::trim) {
        Some(p) if !p.trim_start_matches('/').is_empty() => p.to_owned(),
        _ => {
            let target = strip_os_suffix(f.target.trim());
            let named = if target.is_empty() { artifact } else { target };
            if !named.is_empty() && named == artifact {
                image_repository(named).to_owned()
            } else {
                named.to_owned()
            }
        }
    };
    let encoded = encode_path(raw.trim_start_matches('/'));
    if encoded.is_empty() {
        NO_LOCATION.to_owned()
    } else {
        encoded
    }
}

/// `alpine:3.10 (alpine 3.10.2)` → `alpine:3.10`: Trivy appends the OS to an image's target.
fn strip_os_suffix(target: &str) -> &str {
    match target.find(" (") {
        Some(i) if target.ends_with(')') => target[..i].trim_end(),
        _ => target,
    }
}

/// `registry:5000/team/app:1.2@sha256:…` → `registry:5000/team/app`; anything that is not an
/// image reference (has whitespace) is returned as it is.
fn image_repository(name: &str) -> &str {
    if name.contains(char::is_whitespace) {
        return name;
    }
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    let last_slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[last_slash..].rfind(':') {
        Some(i) => &name[..last_slash + i],
        None => name,
    }
}

/// Percent-encodes every byte that is not an RFC 3986 `pchar` or `/`, and `:` too (so that no
/// first segment reads as a scheme).
fn encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `partialFingerprints.primaryLocationLineHash`: the same for the same vulnerability in the
/// same package at the same place, whatever the installed version (an upgrade that does not
/// fix it keeps the alert), in the `<hash>:<line>` shape GitHub's own fingerprints have.
pub(crate) fn fingerprint(rule_id: &str, package: &str, uri: &str) -> String {
    // FNV-1a, 64 bit: fixed by its definition, so stable across runs, builds and versions.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [rule_id, package, uri] {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}:1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(target: &str, pkg_path: Option<&str>, artifact: Option<&str>) -> String {
        let f = Finding {
            target: target.into(),
            pkg_path: pkg_path.map(Into::into),
            ..Finding::default()
        };
        let input = InputInfo {
            artifact: artifact.map(Into::into),
            ..InputInfo::default()
        };
        uri(&f, &input)
    }

    #[test]
    fn images_become_their_repository() {
        let img = Some("alpine:3.10");
        assert_eq!(at("alpine:3.10 (alpine 3.10.2)", None, img), "alpine");
        let reg = Some("localhost:5000/team/app:1.2@sha256:abc");
        assert_eq!(
            at(
                "localhost:5000/team/app:1.2@sha256:abc (debian 10.1)",
                None,
                reg
            ),
            "localhost%3A5000/team/app"
        );
        assert_eq!(at("", None, img), "alpine");
    }

    #[test]
    fn paths_stay_paths() {
        let img = Some("alpine:3.10");
        assert_eq!(
            at(
                "Node.js",
                Some("/usr/lib/node_modules/npm/package.json"),
                img
            ),
            "usr/lib/node_modules/npm/package.json"
        );
        assert_eq!(at("app/Gemfile.lock", None, img), "app/Gemfile.lock");
        assert_eq!(
            at(
                "testdata/alpine-310.tar.gz (alpine 3.10.2)",
                None,
                Some("testdata/alpine-310.tar.gz")
            ),
            "testdata/alpine-310.tar.gz"
        );
        assert_eq!(
            at("dir with space/a:b", None, None),
            "dir%20with%20space/a%3Ab"
        );
        assert_eq!(at("", Some("/"), None), "unknown");
        assert_eq!(at("ü", None, None), "%C3%BC");
    }

    #[test]
    fn fingerprints_are_fixed_values() {
        // The FNV-1a definition pins these; a change would reopen every alert.
        let a = fingerprint("CVE-1", "openssl", "alpine");
        assert_eq!(a, fingerprint("CVE-1", "openssl", "alpine"));
        assert_ne!(a, fingerprint("CVE-1", "openssl", "debian"));
        assert_ne!(fingerprint("ab", "c", "x"), fingerprint("a", "bc", "x"));
        assert_eq!(
            fingerprint("CVE-1", "p", "u"),
            format!("{:016x}:1", fnv_reference(b"CVE-1\0p\0u\0"))
        );
        // A published FNV-1a 64 test vector, so the reference itself is right.
        assert_eq!(fnv_reference(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    /// FNV-1a written out from its published definition, for the test above.
    fn fnv_reference(bytes: &[u8]) -> u64 {
        bytes.iter().fold(14_695_981_039_346_656_037, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(1_099_511_628_211)
        })
    }
}
