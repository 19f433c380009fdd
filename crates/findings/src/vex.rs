//! VEX statements as a counting option: which findings a vendor says do not affect the
//! product. The documents are parsed by the `feeds` crate (OpenVEX, CycloneDX VEX); this
//! module only holds the statements and decides, for one finding, which statement (if any)
//! suppresses it, following Trivy's `pkg/vex`:
//!
//! - a statement applies to a finding when its vulnerability name (or one of its aliases)
//!   equals the finding's id and one of its products matches the finding's package URL
//!   (OpenVEX's `PurlMatches`: the statement's purl may omit the version and qualifiers; the
//!   ones it has must be equal); a product with `subcomponents` applies only when one of them
//!   matches the package URL too;
//! - OpenVEX: of the statements that apply, the latest one decides (the documents are sorted by
//!   statement time when parsed, ties in file order); it suppresses when its status is
//!   `not_affected` or `fixed`;
//! - CycloneDX VEX: the first vulnerability entry with the finding's id decides; it suppresses
//!   when one of its `affects` references the finding's package and its analysis state is
//!   `not_affected`, `false_positive`, `resolved` or `resolved_with_pedigree`;
//! - several documents are applied one after the other: the first one that suppresses a
//!   finding takes it;
//! - a statement may also name the scanned image itself (`pkg:oci/<name>@<digest>?...`, the
//!   root of the SBOM Trivy builds for a report), usually with the vulnerable packages as
//!   `subcomponents`: when the report says which image it is ([`ImageIdentity`]), an OpenVEX
//!   product matching the image's package URL applies to the findings whose package URL
//!   matches one of its subcomponents, or to every finding with the id when it has none.
//!   Like Trivy, which walks from the package up to the image and asks the documents at each
//!   level, the package level and the image level each decide on their own: an `affected`
//!   statement about the package does not undo a `not_affected` one about the image;
//! - a finding without a package URL is never suppressed (Trivy has no product to match).

use crate::ignore::Purl;

/// What a statement says about the vulnerability in the product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    /// `not_affected` (CycloneDX: `not_affected`, `false_positive`).
    NotAffected,
    /// `fixed` (CycloneDX: `resolved`, `resolved_with_pedigree`).
    Fixed,
    /// `affected` (CycloneDX: `exploitable`).
    Affected,
    /// `under_investigation` (CycloneDX: `in_triage`).
    UnderInvestigation,
    /// No status, or one the format does not define.
    Unknown,
}

impl VexStatus {
    /// `not_affected` and `fixed` take the finding out of the counts.
    #[must_use]
    pub const fn suppresses(self) -> bool {
        matches!(self, Self::NotAffected | Self::Fixed)
    }

    /// The OpenVEX word.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotAffected => "not_affected",
            Self::Fixed => "fixed",
            Self::Affected => "affected",
            Self::UnderInvestigation => "under_investigation",
            Self::Unknown => "unknown",
        }
    }
}

/// How a document's statements decide (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexRule {
    /// OpenVEX: the last applying statement (in time order) decides.
    LatestApplying,
    /// CycloneDX: the first statement with the vulnerability id decides.
    FirstWithId,
}

/// A product (or a CycloneDX `affects` reference) a statement names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexProduct {
    /// The identifier as written: a package URL, or a BOM reference resolved to one.
    pub id: String,
    /// Subcomponents (package URLs); empty = the product itself.
    pub subcomponents: Vec<String>,
    purl: Option<Purl>,
    sub_purls: Vec<Option<Purl>>,
}

impl VexProduct {
    /// A product from its identifier and subcomponents. Identifiers that are not package
    /// URLs match only a finding whose package URL is exactly that string.
    #[must_use]
    pub fn new(id: impl Into<String>, subcomponents: Vec<String>) -> Self {
        let id = id.into();
        let purl = Purl::parse(&id).ok();
        let sub_purls = subcomponents.iter().map(|s| Purl::parse(s).ok()).collect();
        Self {
            id,
            subcomponents,
            purl,
            sub_purls,
        }
    }

    /// The product is the finding's package (or names it among its subcomponents).
    fn matches(&self, raw: &str, target: Option<&Purl>) -> bool {
        let product = match (self.purl.as_ref(), target) {
            (Some(c), Some(t)) => c.matches(t),
            _ => self.id == raw,
        };
        product && self.subcomponent_matches(raw, target)
    }

    /// The product is the scanned image, and names the finding's package among its
    /// subcomponents (or has none).
    fn matches_in_image(&self, image: &Purl, raw: &str, target: Option<&Purl>) -> bool {
        self.purl.as_ref().is_some_and(|c| c.matches(image))
            && self.subcomponent_matches(raw, target)
    }

    fn subcomponent_matches(&self, raw: &str, target: Option<&Purl>) -> bool {
        self.subcomponents.is_empty()
            || self
                .subcomponents
                .iter()
                .zip(&self.sub_purls)
                .any(|(written, p)| match (p, target) {
                    (Some(c), Some(t)) => c.matches(t),
                    _ => written == raw,
                })
    }

    /// The product is an OCI image (`pkg:oci/...`).
    fn is_image(&self) -> bool {
        self.purl.as_ref().is_some_and(|p| p.ty() == "oci")
    }
}

/// The scanned image as a VEX product names it: the package URL Trivy gives the root of the
/// SBOM it builds for an image report, `pkg:oci/<name>@<digest>?arch=<arch>&repository_url=<repository>`,
/// from the report's first repo digest (`Metadata.RepoDigests[0]`) and the image
/// configuration's architecture. `<name>` is the last segment of the repository, lower case;
/// the repository is written as the registry library Trivy uses normalises it (Docker Hub
/// names gain `index.docker.io/` and, when they have one segment, `library/`).
///
/// ```
/// use findings::ImageIdentity;
///
/// let image = ImageIdentity::from_repo_digest("alpine@sha256:0123abcd", Some("amd64")).unwrap();
/// assert_eq!(
///     image.purl(),
///     "pkg:oci/alpine@sha256%3A0123abcd?arch=amd64&repository_url=index.docker.io%2Flibrary%2Falpine"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageIdentity {
    text: String,
    purl: Purl,
}

impl ImageIdentity {
    /// From a repo digest (`registry/repository@sha256:<hex>`) and the architecture; `None`
    /// when the digest is not of that shape (Trivy then has no package URL for the image
    /// either).
    #[must_use]
    pub fn from_repo_digest(repo_digest: &str, arch: Option<&str>) -> Option<Self> {
        let (repository, digest) = repo_digest.rsplit_once('@')?;
        let (algorithm, hex) = digest.split_once(':')?;
        let plain = |s: &str, extra: &[char]| {
            !s.is_empty()
                && s.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') || extra.contains(&c)
                })
        };
        if !plain(repository, &['/', ':']) || !plain(algorithm, &['+']) || !plain(hex, &[]) {
            return None;
        }
        let (registry, path) = match repository.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) => (first, rest.to_owned()),
            _ => ("index.docker.io", repository.to_owned()),
        };
        let registry = if registry == "docker.io" {
            "index.docker.io"
        } else {
            registry
        };
        let path = if registry == "index.docker.io" && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        let name = path.rsplit('/').next()?.to_ascii_lowercase();
        let mut text = format!("pkg:oci/{name}@{algorithm}%3A{hex}?");
        if let Some(arch) = arch.filter(|a| plain(a, &[])) {
            text.push_str("arch=");
            text.push_str(arch);
            text.push('&');
        }
        text.push_str("repository_url=");
        text.push_str(&format!("{registry}/{path}").replace('/', "%2F"));
        let purl = Purl::parse(&text).ok()?;
        Some(Self { text, purl })
    }

    /// The image's package URL.
    #[must_use]
    pub fn purl(&self) -> &str {
        &self.text
    }
}

/// One VEX statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability id (`CVE-2021-44228`).
    pub vulnerability: String,
    /// Other ids of the same vulnerability (OpenVEX `vulnerability.aliases`).
    pub aliases: Vec<String>,
    /// The products it is about.
    pub products: Vec<VexProduct>,
    /// What it says.
    pub status: VexStatus,
    /// The justification or impact statement, when given.
    pub justification: Option<String>,
    /// Human description naming the document and the statement:
    /// `CVE-2021-44228 not_affected (vex.json statement 2)`.
    pub description: String,
}

impl VexStatement {
    fn names(&self, id: &str) -> bool {
        self.vulnerability == id || self.aliases.iter().any(|a| a == id)
    }
}

/// One VEX document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VexDocument {
    /// How its statements decide.
    pub rule: VexRule,
    /// Its statements, in deciding order.
    pub statements: Vec<VexStatement>,
}

/// Every `--vex` document, applied in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VexSet {
    /// The documents.
    pub documents: Vec<VexDocument>,
}

impl VexSet {
    /// Number of statements over all documents (the length of the use counts).
    #[must_use]
    pub fn len(&self) -> usize {
        self.documents.iter().map(|d| d.statements.len()).sum()
    }

    /// True when there is no statement.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every statement, in the order of [`VexSet::matching_statement`]'s indices.
    pub fn statements(&self) -> impl Iterator<Item = &VexStatement> {
        self.documents.iter().flat_map(|d| &d.statements)
    }

    /// True when an OpenVEX statement names an OCI image as its product: it needs the
    /// report's [`ImageIdentity`] to apply.
    #[must_use]
    pub fn names_images(&self) -> bool {
        self.documents
            .iter()
            .filter(|d| d.rule == VexRule::LatestApplying)
            .flat_map(|d| &d.statements)
            .any(|s| s.products.iter().any(VexProduct::is_image))
    }

    /// Index (over all documents) of the statement that suppresses this finding, if any,
    /// looking at the finding's package only (no image known).
    #[must_use]
    pub fn matching_statement(&self, id: &str, purl: Option<&str>) -> Option<usize> {
        self.matching_statement_in(id, purl, None)
    }

    /// Index (over all documents) of the statement that suppresses this finding in `image`,
    /// if any: first the statements about the package, in document order, then the OpenVEX
    /// statements about the image (the order in which Trivy walks up from the package).
    #[must_use]
    pub fn matching_statement_in(
        &self,
        id: &str,
        purl: Option<&str>,
        image: Option<&ImageIdentity>,
    ) -> Option<usize> {
        let raw = purl?;
        let target = Purl::parse(raw).ok();
        self.decide(id, false, |p| p.matches(raw, target.as_ref()))
            .or_else(|| {
                let image = &image?.purl;
                self.decide(id, true, |p| {
                    p.matches_in_image(image, raw, target.as_ref())
                })
            })
    }

    /// The statement that decides for `id` among those with a product `product_applies`
    /// accepts, when it suppresses; `openvex_only` leaves CycloneDX documents out.
    fn decide(
        &self,
        id: &str,
        openvex_only: bool,
        product_applies: impl Fn(&VexProduct) -> bool,
    ) -> Option<usize> {
        let mut base = 0;
        for doc in &self.documents {
            if openvex_only && doc.rule != VexRule::LatestApplying {
                base += doc.statements.len();
                continue;
            }
            let applies = |s: &VexStatement| s.names(id) && s.products.iter().any(&product_applies);
            let decided = match doc.rule {
                VexRule::LatestApplying => doc.statements.iter().rposition(applies),
                VexRule::FirstWithId => doc
                    .statements
                    .iter()
                    .position(|s| s.names(id))
                    .filter(|&i| applies(&doc.statements[i])),
            };
            if let Some(i) = decided
                && doc.statements[i].status.suppresses()
            {
                return Some(base + i);
            }
            base += doc.statements.len();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(id: &str, product: &str, subs: &[&str], status: VexStatus) -> VexStatement {
        VexStatement {
            vulnerability: id.to_owned(),
            aliases: Vec::new(),
            products: vec![VexProduct::new(
                product,
                subs.iter().map(|s| (*s).to_owned()).collect(),
            )],
            status,
            justification: None,
            description: format!("{id} {}", status.as_str()),
        }
    }

    fn set(rule: VexRule, statements: Vec<VexStatement>) -> VexSet {
        VexSet {
            documents: vec![VexDocument { rule, statements }],
        }
    }

    const PKG: &str = "pkg:apk/alpine/openssl@1.1.1k-r0?arch=x86_64&distro=3.14.0";

    #[test]
    fn purl_constraints_and_status() {
        let s = set(
            VexRule::LatestApplying,
            vec![stmt(
                "CVE-1",
                "pkg:apk/alpine/openssl",
                &[],
                VexStatus::NotAffected,
            )],
        );
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), Some(0));
        assert_eq!(s.matching_statement("CVE-2", Some(PKG)), None);
        assert_eq!(s.matching_statement("CVE-1", None), None);
        assert_eq!(
            s.matching_statement("CVE-1", Some("pkg:apk/alpine/libcrypto@1.1.1k-r0")),
            None
        );
        let s = set(
            VexRule::LatestApplying,
            vec![stmt(
                "CVE-1",
                "pkg:apk/alpine/openssl@1.1.1l-r0",
                &[],
                VexStatus::Fixed,
            )],
        );
        assert_eq!(
            s.matching_statement("CVE-1", Some(PKG)),
            None,
            "other version"
        );
        let s = set(
            VexRule::LatestApplying,
            vec![stmt("CVE-1", PKG, &[], VexStatus::Affected)],
        );
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), None, "affected");
    }

    #[test]
    fn the_latest_openvex_statement_decides() {
        let s = set(
            VexRule::LatestApplying,
            vec![
                stmt("CVE-1", PKG, &[], VexStatus::NotAffected),
                stmt("CVE-1", PKG, &[], VexStatus::UnderInvestigation),
            ],
        );
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), None);
        let s = set(
            VexRule::LatestApplying,
            vec![
                stmt("CVE-1", PKG, &[], VexStatus::UnderInvestigation),
                stmt("CVE-1", PKG, &[], VexStatus::NotAffected),
            ],
        );
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), Some(1));
    }

    #[test]
    fn subcomponents_must_match() {
        let s = set(
            VexRule::LatestApplying,
            vec![stmt(
                "CVE-1",
                "pkg:apk/alpine/openssl",
                &["pkg:apk/alpine/zlib"],
                VexStatus::NotAffected,
            )],
        );
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), None);
    }

    #[test]
    fn cyclonedx_first_entry_with_the_id_decides_and_documents_chain() {
        let first = stmt("CVE-1", "pkg:apk/alpine/zlib", &[], VexStatus::NotAffected);
        let second = stmt("CVE-1", PKG, &[], VexStatus::NotAffected);
        let s = set(VexRule::FirstWithId, vec![first.clone(), second.clone()]);
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), None);
        let s = VexSet {
            documents: vec![
                VexDocument {
                    rule: VexRule::FirstWithId,
                    statements: vec![first],
                },
                VexDocument {
                    rule: VexRule::LatestApplying,
                    statements: vec![second],
                },
            ],
        };
        assert_eq!(s.len(), 2);
        assert_eq!(s.matching_statement("CVE-1", Some(PKG)), Some(1));
    }

    const DIGEST: &str = "sha256:412488c631d887be829b94a7e8714d4b9673e5df0046ebbdc85e4deafec7f58d";

    fn image() -> ImageIdentity {
        ImageIdentity::from_repo_digest(
            &format!("127.0.0.1:5000/fixture/alpine-vulnerable@{DIGEST}"),
            Some("amd64"),
        )
        .unwrap()
    }

    #[test]
    fn the_image_purl_is_built_as_trivy_builds_it() {
        assert_eq!(
            image().purl(),
            "pkg:oci/alpine-vulnerable@sha256%3A412488c631d887be829b94a7e8714d4b9673e5df0046ebbdc85e4deafec7f58d?arch=amd64&repository_url=127.0.0.1:5000%2Ffixture%2Falpine-vulnerable"
        );
        let hub = |r: &str| {
            ImageIdentity::from_repo_digest(&format!("{r}@{DIGEST}"), None)
                .unwrap()
                .purl()
                .split_once('?')
                .unwrap()
                .1
                .to_owned()
        };
        assert_eq!(
            hub("alpine"),
            "repository_url=index.docker.io%2Flibrary%2Falpine"
        );
        assert_eq!(
            hub("docker.io/alpine"),
            "repository_url=index.docker.io%2Flibrary%2Falpine"
        );
        assert_eq!(
            hub("bitnami/redis"),
            "repository_url=index.docker.io%2Fbitnami%2Fredis"
        );
        assert_eq!(
            hub("ghcr.io/org/Tool"),
            "repository_url=ghcr.io%2Forg%2FTool"
        );
        assert!(
            ImageIdentity::from_repo_digest(&format!("ghcr.io/org/Tool@{DIGEST}"), None)
                .unwrap()
                .purl()
                .starts_with("pkg:oci/tool@")
        );
        for bad in [
            "alpine",
            "alpine@",
            "@sha256:ab",
            "alpine@sha256",
            "alpine@sha256:",
            "a b@sha256:ab",
            "x@sha256:a&b",
        ] {
            assert_eq!(ImageIdentity::from_repo_digest(bad, None), None, "{bad}");
        }
    }

    /// CVE-1 about every image named `alpine-vulnerable`, without subcomponents.
    fn about_image(status: VexStatus) -> VexStatement {
        stmt("CVE-1", "pkg:oci/alpine-vulnerable", &[], status)
    }

    #[test]
    fn a_statement_about_the_image_applies_to_its_subcomponents() {
        let busybox = "pkg:apk/alpine/busybox@1.33.1-r2?arch=x86_64&distro=3.14.0";
        let ssl_client = "pkg:apk/alpine/ssl_client@1.33.1-r2?arch=x86_64&distro=3.14.0";
        let s = set(
            VexRule::LatestApplying,
            vec![stmt(
                "CVE-1",
                &format!("pkg:oci/alpine-vulnerable@{DIGEST}"),
                &["pkg:apk/alpine/busybox"],
                VexStatus::NotAffected,
            )],
        );
        assert!(s.names_images());
        let img = image();
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(busybox), Some(&img)),
            Some(0)
        );
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(ssl_client), Some(&img)),
            None
        );
        assert_eq!(
            s.matching_statement_in("CVE-2", Some(busybox), Some(&img)),
            None
        );
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(busybox), None),
            None,
            "image unknown"
        );
        assert_eq!(
            s.matching_statement_in("CVE-1", None, Some(&img)),
            None,
            "no purl"
        );
    }

    #[test]
    fn the_image_product_is_matched_like_purl_matches() {
        let pkg = "pkg:apk/alpine/zlib@1.2.11-r3?arch=x86_64&distro=3.14.0";
        let img = image();
        let applies = |product: &str| {
            let s = set(
                VexRule::LatestApplying,
                vec![stmt("CVE-1", product, &[], VexStatus::Fixed)],
            );
            s.matching_statement_in("CVE-1", Some(pkg), Some(&img))
                .is_some()
        };
        // No subcomponents: every finding with the id in the image.
        assert!(applies(&format!("pkg:oci/alpine-vulnerable@{DIGEST}")));
        assert!(applies(&format!(
            "pkg:oci/alpine-vulnerable@{}",
            DIGEST.replace(':', "%3A")
        )));
        assert!(
            applies("pkg:oci/alpine-vulnerable"),
            "no version: any digest"
        );
        assert!(applies(&format!(
            "pkg:oci/alpine-vulnerable@{DIGEST}?arch=amd64"
        )));
        assert!(applies(&format!(
            "pkg:oci/alpine-vulnerable@{DIGEST}?repository_url=127.0.0.1:5000/fixture/alpine-vulnerable"
        )));
        assert!(!applies(&format!(
            "pkg:oci/alpine-vulnerable@{DIGEST}?arch=arm64"
        )));
        assert!(!applies(&format!(
            "pkg:oci/alpine-vulnerable@{DIGEST}?repository_url=docker.io/fixture/alpine-vulnerable"
        )));
        assert!(
            !applies(&format!("pkg:oci/other@{DIGEST}")),
            "the name counts"
        );
        assert!(!applies(
            "pkg:oci/alpine-vulnerable@sha256:0000000000000000000000000000000000000000000000000000000000000000"
        ));
        assert!(!applies(&format!("pkg:docker/alpine-vulnerable@{DIGEST}")));
    }

    #[test]
    fn package_and_image_levels_decide_on_their_own() {
        // Trivy asks the package level, then the image level: an `affected` statement about
        // the package, later than a `not_affected` one about the image, does not undo it.
        let pkg = "pkg:apk/alpine/busybox@1.33.1-r2?arch=x86_64&distro=3.14.0";
        let img = image();
        let s = set(
            VexRule::LatestApplying,
            vec![
                stmt(
                    "CVE-1",
                    &format!("pkg:oci/alpine-vulnerable@{DIGEST}"),
                    &["pkg:apk/alpine/busybox"],
                    VexStatus::NotAffected,
                ),
                stmt("CVE-1", "pkg:apk/alpine/busybox", &[], VexStatus::Affected),
            ],
        );
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(pkg), Some(&img)),
            Some(0)
        );
        // At one level, the latest statement decides.
        let s = set(
            VexRule::LatestApplying,
            vec![
                about_image(VexStatus::NotAffected),
                about_image(VexStatus::UnderInvestigation),
            ],
        );
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(pkg), Some(&img)),
            None
        );
        // The package level is asked first.
        let s = set(
            VexRule::LatestApplying,
            vec![
                about_image(VexStatus::NotAffected),
                stmt("CVE-1", "pkg:apk/alpine/busybox", &[], VexStatus::Fixed),
            ],
        );
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(pkg), Some(&img)),
            Some(1)
        );
    }

    #[test]
    fn cyclonedx_documents_are_not_asked_about_the_image() {
        let pkg = "pkg:apk/alpine/busybox@1.33.1-r2?arch=x86_64&distro=3.14.0";
        let s = set(
            VexRule::FirstWithId,
            vec![about_image(VexStatus::NotAffected)],
        );
        assert!(!s.names_images());
        assert_eq!(
            s.matching_statement_in("CVE-1", Some(pkg), Some(&image())),
            None
        );
    }
}
