//! `Want::fixes` keeps compact records: the same findings as `Want::findings`, with the fields
//! an explanation reads (id, severity, package, installed, fixed version, fix state, unique
//! key) equal, and the other details left empty, on real reports of every format with fix
//! data.

use findings::{CountOptions, Finding, Want};
use report_formats::{ReadOptions, read_report};

use crate::{report_path, workspace_fixture};

fn kept(path: &std::path::Path, want: Want) -> Vec<Finding> {
    let f = std::fs::File::open(path).unwrap();
    read_report(
        std::io::BufReader::new(f),
        &CountOptions::default(),
        want,
        &ReadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    .summary
    .kept
}

#[test]
fn compact_records_carry_what_an_explanation_reads() {
    let mut with_fix = 0;
    for path in [
        report_path("generated-0.76-image-alpine-3.14.json"),
        report_path("centos-7-image-large-v0.20.json"),
        workspace_fixture("corpus/grype/grype-0.66.0-keycloak.json"),
        workspace_fixture("corpus/grype/grype-presenter-image.golden.json"),
        workspace_fixture(
            "corpus/trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json",
        ),
    ] {
        let full = kept(
            &path,
            Want {
                findings: true,
                ..Want::default()
            },
        );
        let compact = kept(
            &path,
            Want {
                fixes: true,
                ..Want::default()
            },
        );
        assert!(!full.is_empty(), "{}", path.display());
        assert_eq!(full.len(), compact.len(), "{}", path.display());
        with_fix += usize::from(full.iter().any(|f| f.fixed_version.is_some()));
        for (a, b) in full.iter().zip(&compact) {
            let part = |f: &Finding| Finding {
                id: f.id.clone(),
                severity: f.severity,
                package: f.package.clone(),
                installed: f.installed.clone(),
                fixed_version: f.fixed_version.clone(),
                fixable: f.fixable,
                unique_key: f.unique_key.clone(),
                ..Finding::default()
            };
            assert_eq!(&part(a), b, "{}", path.display());
        }
    }
    // Trivy (two), Grype's presenter golden and Trivy Operator carry fixed versions.
    assert_eq!(with_fix, 4);
}
