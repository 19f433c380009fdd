//! The CI recipes of `docs/ci.md`, run: every block marked `<!-- ci-test: NAME -->` is
//! executed as its CI system would (GitHub's `run` steps with `bash -eo pipefail` and their
//! `if:` conditions, GitLab's `script` lines, the shell pipeline with `sh`), with the built
//! binaries and real trivy on `PATH`, against the fixture image in a real local registry and
//! the seed's SLO files: once with a gate that passes, once with one that fails. Exit codes,
//! the job summary, the SARIF file and the JUnit report are checked, so the docs cannot rot.
#![allow(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;
use test_support::fixtures::{fixture, workspace_root};
use test_support::sarif::assert_valid;
use test_support::trivy::{Registry, TrivyCache, trivy_bin};

/// The tested blocks of docs/ci.md: name → (fence language, body).
fn blocks() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(workspace_root().join("docs/ci.md")).unwrap();
    let mut out = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .trim()
            .strip_prefix("<!-- ci-test:")
            .and_then(|r| r.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        let lang = fence
            .strip_prefix("```")
            .unwrap_or_else(|| panic!("ci-test {name}: no fenced block right after the marker"));
        let body: Vec<&str> = lines.by_ref().take_while(|l| *l != "```").collect();
        let old = out.insert(
            name.trim().to_owned(),
            (lang.trim().to_owned(), body.join("\n") + "\n"),
        );
        assert!(old.is_none(), "ci-test {name} appears twice");
    }
    out
}

#[derive(Debug, Deserialize)]
struct Workflow {
    jobs: BTreeMap<String, GhJob>,
}

#[derive(Debug, Deserialize)]
struct GhJob {
    steps: Vec<GhStep>,
}

#[derive(Debug, Deserialize)]
struct GhStep {
    name: Option<String>,
    uses: Option<String>,
    run: Option<String>,
    #[serde(rename = "if")]
    condition: Option<String>,
    #[serde(default)]
    with: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct GlJob {
    script: Vec<String>,
    artifacts: GlArtifacts,
}

#[derive(Debug, Deserialize)]
struct GlArtifacts {
    paths: Vec<String>,
    reports: BTreeMap<String, String>,
}

/// The fixture image in a local registry, trivy's offline cache, and the binaries' folder.
struct Env {
    _registry: Registry,
    image: String,
    cache: TrivyCache,
    path: String,
}

impl Env {
    fn start() -> Self {
        let registry = Registry::start().unwrap_or_else(|e| panic!("{e}"));
        let image = registry
            .push_fixture_image()
            .unwrap_or_else(|e| panic!("{e}"));
        let trivy = trivy_bin().unwrap_or_else(|e| panic!("{e}"));
        let path = std::env::join_paths(
            [bin_dir(), trivy.parent().unwrap().to_owned()]
                .into_iter()
                .chain(std::env::split_paths(
                    &std::env::var_os("PATH").unwrap_or_default(),
                )),
        )
        .unwrap();
        Self {
            _registry: registry,
            image,
            cache: TrivyCache::new(),
            path: path.to_string_lossy().into_owned(),
        }
    }

    /// `program` in `dir` with the CI variables a runner would set, trivy offline against the
    /// fixture DB (through trivy's own environment variables, as a runner's config would).
    fn command(&self, program: &str, dir: &Path) -> Command {
        let mut c = Command::new(program);
        for v in test_support::cli::CALLER_ENV {
            c.env_remove(v);
        }
        c.current_dir(dir)
            .env("PATH", &self.path)
            .env("IMAGE", &self.image)
            .env("TRIVY_CACHE_DIR", self.cache.path())
            .env("TRIVY_SKIP_DB_UPDATE", "true")
            .env("TRIVY_OFFLINE_SCAN", "true")
            .env("TRIVY_INSECURE", "true")
            .env("TRIVY_IMAGE_SRC", "remote");
        c
    }
}

/// The folder of the built binaries; slo-gate is built there when this package's tests ran
/// alone (cargo builds only the package's own binaries for its tests).
fn bin_dir() -> PathBuf {
    let scan = PathBuf::from(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    let dir = scan.parent().unwrap().to_owned();
    if !dir.join("slo-gate").exists() {
        let profile_dir = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build
            .args(["build", "--quiet", "-p", "slo-gate", "--bin", "slo-gate"])
            .arg("--target-dir")
            .arg(dir.parent().unwrap())
            .current_dir(workspace_root());
        if profile_dir == "release" {
            build.arg("--release");
        }
        let st = build.status().expect("cargo runs");
        assert!(st.success(), "building slo-gate for the CI recipes failed");
    }
    dir
}

/// A checkout: the seed's sli.yaml, and its slo.yaml (passing on the fixture image's 6
/// criticals: `<10`) or the strict one (`<5`: failing).
fn checkout(passing: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let slo = if passing {
        "slo.yaml"
    } else {
        "slo-strict.yaml"
    };
    std::fs::copy(fixture("keptn-seed").join(slo), dir.path().join("slo.yaml")).unwrap();
    std::fs::copy(fixture("keptn-seed/sli.yaml"), dir.path().join("sli.yaml")).unwrap();
    dir
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The SARIF file, valid, with this verdict.
fn assert_sarif(path: &Path, result: &str) {
    let body = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v = assert_valid(&body, &path.display().to_string());
    let run = &v["runs"][0];
    assert_eq!(run["properties"]["gate"]["result"], result);
    // Every finding of the fixture image (29), none dropped.
    assert_eq!(run["results"].as_array().unwrap().len(), 29);
}

/// Runs the workflow's steps as GitHub would: `run` with `bash -eo pipefail`, later steps
/// skipped after a failure unless `if: always()`. Returns each step's exit code (`None`:
/// skipped), the job summary and the steps' output.
fn github(env: &Env, body: &str, dir: &Path) -> (Vec<(String, Option<i32>)>, String, String) {
    let wf: Workflow = serde_saphyr::from_str(body).expect("the workflow parses");
    let summary = dir.join("step-summary.md");
    std::fs::write(&summary, "").unwrap();
    let mut steps = Vec::new();
    let mut log = String::new();
    for job in wf.jobs.values() {
        let mut failed = false;
        for step in &job.steps {
            let name = step
                .name
                .clone()
                .or_else(|| step.uses.clone())
                .unwrap_or_default();
            let runs = match step.condition.as_deref() {
                None => !failed,
                Some("always()") => true,
                Some(other) => panic!("step {name}: the test knows no condition {other:?}"),
            };
            if !runs {
                steps.push((name, None));
                continue;
            }
            let code = match (&step.run, step.uses.as_deref()) {
                (Some(script), None) => {
                    assert!(!script.contains("${{"), "step {name}: expressions in run");
                    let out = env
                        .command("bash", dir)
                        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
                        .env("GITHUB_STEP_SUMMARY", &summary)
                        .env("GITHUB_ACTIONS", "true")
                        .output()
                        .unwrap();
                    log.push_str(&format!("step {name}: {}\n", text(&out)));
                    out.status.code().unwrap_or(-1)
                }
                (None, Some(uses)) if uses.starts_with("actions/checkout@") => 0,
                (None, Some(uses)) if uses.starts_with("github/codeql-action/upload-sarif@") => {
                    // What the action uploads: the file must exist and be accepted.
                    let file = dir.join(&step.with["sarif_file"]);
                    assert!(!step.with["category"].is_empty());
                    i32::from(!file.exists())
                }
                _ => panic!("step {name}: the test cannot run it"),
            };
            failed |= code != 0;
            steps.push((name, Some(code)));
        }
    }
    (steps, std::fs::read_to_string(&summary).unwrap(), log)
}

#[test]
fn every_ci_recipe_runs_as_documented() {
    let blocks = blocks();
    assert_eq!(
        blocks.keys().map(String::as_str).collect::<Vec<_>>(),
        ["github-actions", "gitlab-ci", "shell"],
        "each tested block of docs/ci.md has its checks here"
    );
    let env = Env::start();

    for passing in [true, false] {
        let (result, code) = if passing { ("pass", 0) } else { ("fail", 1) };

        // GitHub Actions: the summary is written and the SARIF uploaded either way.
        let (lang, body) = &blocks["github-actions"];
        assert_eq!(lang, "yaml");
        let dir = checkout(passing);
        let (steps, summary, log) = github(&env, body, dir.path());
        let codes: Vec<Option<i32>> = steps.iter().map(|s| s.1).collect();
        assert_eq!(
            codes,
            [Some(0), Some(0), Some(code), Some(0)],
            "{steps:?}\n{log}"
        );
        let verdict = if passing { "**PASS**" } else { "**FAIL**" };
        assert!(summary.contains(verdict), "job summary:\n{summary}");
        assert_sarif(&dir.path().join("vulngate.sarif"), result);

        // GitLab CI: the script lines in one shell (GitLab's `set -eo pipefail`), the JUnit
        // report kept.
        let (lang, body) = &blocks["gitlab-ci"];
        assert_eq!(lang, "yaml");
        let jobs: BTreeMap<String, GlJob> = serde_saphyr::from_str(body).unwrap();
        let dir = checkout(passing);
        for job in jobs.values() {
            let script = job.script.join("\n");
            let out = env
                .command("bash", dir.path())
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script])
                .env("GITLAB_CI", "true")
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(code), "{}", text(&out));
            for p in &job.artifacts.paths {
                assert!(dir.path().join(p).exists(), "artifact {p}");
            }
            let junit =
                std::fs::read_to_string(dir.path().join(&job.artifacts.reports["junit"])).unwrap();
            assert!(junit.contains("<testsuites"), "{junit}");
            assert_eq!(junit.contains("<failure"), !passing, "{junit}");
        }

        // The shell pipeline, with a POSIX sh.
        let (lang, body) = &blocks["shell"];
        assert_eq!(lang, "sh");
        let dir = checkout(passing);
        let out = env
            .command("sh", dir.path())
            .arg("-c")
            .arg(body)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", text(&out));
        let said = if passing {
            String::from_utf8_lossy(&out.stdout).into_owned()
        } else {
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        let expected = if passing {
            "release gate passed"
        } else {
            "release gate failed"
        };
        assert!(said.contains(expected), "{}", text(&out));
        assert_sarif(&dir.path().join("vulngate.sarif"), result);
        let scan = std::fs::read_to_string(dir.path().join("scan.txt")).unwrap();
        assert!(scan.contains("Total Vulnerability Count: 29"), "{scan}");
    }
}
