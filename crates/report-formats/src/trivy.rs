//! Trivy JSON (SchemaVersion 2, the bare array of trivy < 0.20) and `trivy k8s` JSON
//! (`specs/scanner-formats.md` §2–4). The walking is `trivy-report`'s; this module streams the
//! arrays into the tally and reads what the top level says about the scan.

use std::io::Read;

use findings::{DbInfo, ImageIdentity, Incomplete, InputInfo, Scanner, Tally};
use json_stream::Reader;
use serde_json::Value;

use crate::top::TopFacts;
use crate::{Format, ReportError};

pub(crate) use trivy_report::{K8sSeen as K8sStats, ResultsSeen as Stats};

/// Top-level keys of a Trivy JSON report, for case-variant checks.
pub(crate) const TOP_KEYS: &[&str] = &[
    "SchemaVersion",
    "CreatedAt",
    "ArtifactName",
    "ArtifactType",
    "Metadata",
    "Results",
    "Trivy",
];

/// Top-level keys of a `trivy k8s` report.
pub(crate) const K8S_TOP_KEYS: &[&str] = &[
    "ClusterName",
    "Resources",
    "Vulnerabilities",
    "Misconfigurations",
    "Findings",
];

pub(crate) fn results<R: Read>(
    r: &mut Reader<R>,
    tally: &mut Tally<'_>,
    stats: &mut Stats,
) -> Result<(), json_stream::Error> {
    trivy_report::walk_results(r, tally, stats)
}

pub(crate) fn k8s_resources<R: Read>(
    r: &mut Reader<R>,
    tally: &mut Tally<'_>,
    stats: &mut K8sStats,
) -> Result<(), json_stream::Error> {
    trivy_report::walk_k8s_resources(r, tally, stats)
}

/// The scanned image as VEX names it, from `Metadata`: the first of `RepoDigests` and
/// `ImageConfig.architecture`, as Trivy builds the image's package URL. `None` for a report
/// without repo digests (an image read from a tar file), like Trivy.
pub(crate) fn image_identity(metadata: Option<&Value>) -> Option<ImageIdentity> {
    let m = metadata?;
    let digest = m.pointer("/RepoDigests/0")?.as_str()?;
    let arch = m
        .pointer("/ImageConfig/architecture")
        .and_then(Value::as_str);
    ImageIdentity::from_repo_digest(digest, arch)
}

pub(crate) fn scanner(version: Option<String>) -> Scanner {
    Scanner {
        name: "trivy".to_owned(),
        version,
    }
}

/// Trivy JSON: artifact, version, and the DB date that client/server mode writes.
pub(crate) fn finish(facts: &TopFacts, _stats: &Stats) -> InputInfo {
    let trivy = facts.captured("Trivy");
    let version = trivy
        .and_then(|t| t.get("Version"))
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let db = trivy
        .and_then(|t| t.pointer("/Server/VulnerabilityDB"))
        .and_then(|db| {
            let built = db.get("UpdatedAt")?.as_str()?.parse().ok()?;
            Some(DbInfo {
                built,
                schema: db.get("Version").map(|v| v.to_string()),
            })
        });
    let artifact = facts
        .str("ArtifactName")
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .or_else(|| {
            facts
                .captured("Metadata")
                .and_then(|m| m.pointer("/RepoTags/0"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
    // Trivy writes `EOSL` only when true (Go `omitempty`): an OS without it is supported.
    let os_eol = facts
        .captured("Metadata")
        .and_then(|m| m.get("OS"))
        .filter(|os| os.is_object())
        .map(|os| os.get("EOSL").and_then(Value::as_bool).unwrap_or(false));
    InputInfo {
        scanner: Some(scanner(version)),
        db,
        artifact,
        os_eol,
        ..InputInfo::default()
    }
}

/// The bare array of trivy < 0.20: nothing to record but the targets.
pub(crate) fn finish_legacy(_stats: &Stats) -> InputInfo {
    InputInfo {
        scanner: Some(scanner(None)),
        ..InputInfo::default()
    }
}

/// `trivy k8s`: the cluster is the artifact; resources with an `Error` make the report
/// incomplete, refused unless the user allows it.
pub(crate) fn finish_k8s(
    facts: &TopFacts,
    stats: &K8sStats,
    allow_incomplete: bool,
) -> Result<InputInfo, ReportError> {
    let incomplete = (stats.failed > 0).then(|| Incomplete {
        failed: stats.failed,
        total: stats.resources,
        examples: stats.examples.clone(),
    });
    if let Some(i) = &incomplete
        && !allow_incomplete
    {
        return Err(ReportError::Incomplete {
            failed: i.failed,
            total: i.total,
            examples: i.examples.join("; "),
        });
    }
    if let Some(v) = facts.get("Misconfigurations")
        && !matches!(v.kind(), json_stream::Kind::Array | json_stream::Kind::Null)
    {
        return Err(ReportError::malformed(
            Format::TrivyK8s,
            "`Misconfigurations` is not a list",
        ));
    }
    Ok(InputInfo {
        scanner: Some(scanner(None)),
        artifact: facts.str("ClusterName").map(str::to_owned),
        incomplete,
        ..InputInfo::default()
    })
}
