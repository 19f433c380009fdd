//! `Want::fixes` keeps compact records: the same findings as `Want::findings`, with the fields
//! an explanation reads (id, severity, package, installed, fixed version, fix state, unique
//! key, the scanner's exploitability marks) equal, on real reports of every format with fix
//! data; `Want::findings` keeps the same records beside the full findings.

use findings::{CountOptions, Summary, Want};
use report_formats::{ReadOptions, read_report};

use crate::{report_path, workspace_fixture};

fn summary(path: &std::path::Path, want: Want) -> Summary {
    let f = std::fs::File::open(path).unwrap();
    read_report(
        std::io::BufReader::new(f),
        &CountOptions::default(),
        want,
        &ReadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    .summary
}

#[test]
fn compact_records_carry_what_an_explanation_reads() {
    let mut with_fix = 0;
    let mut exploit_marks = 0;
    for path in [
        report_path("generated-0.76-image-alpine-3.14.json"),
        report_path("centos-7-image-large-v0.20.json"),
        workspace_fixture("corpus/grype/grype-0.66.0-keycloak.json"),
        workspace_fixture("corpus/grype/grype-presenter-image.golden.json"),
        workspace_fixture(
            "corpus/trivy/trivy-operator-ea1dc5f__workload.vulnerabilityReportList.json",
        ),
    ] {
        let full = summary(
            &path,
            Want {
                findings: true,
                ..Want::default()
            },
        );
        let compact = summary(
            &path,
            Want {
                fixes: true,
                ..Want::default()
            },
        );
        let name = path.display();
        assert!(!full.kept.is_empty(), "{name}");
        assert!(
            compact.kept.is_empty(),
            "{name}: compact keeps no full findings"
        );
        assert_eq!(full.records, compact.records, "{name}");
        assert_eq!(full.kept.len(), compact.records.len(), "{name}");
        with_fix += usize::from(full.kept.iter().any(|f| f.fixed_version.is_some()));
        exploit_marks += usize::from(
            full.kept
                .iter()
                .any(|f| f.known_exploited.is_some() || f.epss.is_some()),
        );
        for (a, b) in full.kept.iter().zip(compact.records.iter()) {
            assert_eq!(
                (
                    a.id.as_str(),
                    a.severity,
                    a.package.as_str(),
                    a.installed.as_str()
                ),
                (b.id, b.severity, b.package, b.installed),
                "{name}"
            );
            assert_eq!(a.fixed_version.as_deref(), b.fixed_version, "{name}");
            assert_eq!(a.unique_key.as_deref(), b.unique_key, "{name}");
            assert_eq!(a.fixable, b.fixable, "{name}");
            assert_eq!(
                (a.known_exploited, a.epss),
                (b.known_exploited, b.epss),
                "{name}"
            );
        }
    }
    // Trivy (two), Grype's presenter golden and Trivy Operator carry fixed versions.
    assert_eq!(with_fix, 4);
    // grype 0.66 writes `knownExploited` and `epss`.
    assert!(exploit_marks >= 1, "no report carried exploitability marks");
}
