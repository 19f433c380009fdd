//! Several images in one run (DESIGN.md "Many images, one engine") with a stand-in trivy: a
//! shell script that writes a fixture report per image (`*clean*` images: no findings;
//! `*bad*`: trivy fails; `*slow*`: hangs), records how many scans run at once, and what
//! reached it (arguments, the TRIVY_TOKEN variable). The real trivy server runs in
//! `fleet_server.rs`.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use test_support::dynatrace::{FakeDynatrace, Reply, TOKEN};
use test_support::fixtures::report;

const SECRET: &str = "SRVTOKEN-s3cr3t-MARK";

fn trivy_scan() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"));
    for var in test_support::cli::CALLER_ENV {
        cmd.env_remove(var);
    }
    cmd.env_remove("TRIVY_TOKEN");
    cmd
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn all(o: &Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

/// The stand-in trivy in `dir`; its records go to `dir/log` (one `N ARGS... token=T` line
/// per scan, N = scans running at that moment).
fn fake_trivy(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("trivy");
    let running = dir.join("running");
    std::fs::create_dir_all(&running).unwrap();
    let script = format!(
        r#"#!/bin/sh
out=""; for a in "$@"; do case "$a" in --output=*) out="${{a#--output=}}";; esac; last="$a"; done
touch "{running}/$$"
n=$(ls "{running}" | wc -l)
echo "$n $* token=${{TRIVY_TOKEN:-none}}" >> "{log}"
case "$last" in
  *bad*) rm -f "{running}/$$"; echo "FATAL image scan error: unable to find the specified image $last" >&2; exit 1;;
  *slow*) sleep 30;;
  *clean*) cp "{clean}" "$out";;
  *) cp "{vulnerable}" "$out";;
esac
sleep 0.2
rm -f "{running}/$$"
"#,
        running = running.display(),
        log = dir.join("log").display(),
        clean = report("slmicro-image-zero-vulns.json").display(),
        vulnerable = report("generated-0.76-image-alpine-3.14.json").display(),
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn log(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("log"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn one_result_per_image_a_summary_and_the_worst_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let out = trivy_scan()
        .args([
            "reg.example/app:1",
            "reg.example/bad:2",
            "reg.example/clean:3",
        ])
        .args(["--jobs", "2", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    let text = stdout(&out);
    // The seed's preamble once, then each image's lines under its name.
    assert!(
        text.starts_with("METRICS_ENDPOINT and/or METRICS_API_TOKEN"),
        "{text}"
    );
    assert_eq!(
        text.matches("Checking 5 security levels").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("[reg.example/app:1] Finished. Total Vulnerability Count: 29\n"),
        "{text}"
    );
    assert!(
        text.contains("[reg.example/clean:3] Finished. Total Vulnerability Count: 0\n"),
        "{text}"
    );
    assert!(
        text.contains("[reg.example/bad:2] Error (exit 3): trivy failed (exit status: 1): ")
            && text.contains("unable to find the specified image reg.example/bad:2"),
        "{text}"
    );
    // The summary: every image in list order, with counts or the error.
    let summary = text.split("\nSummary: ").nth(1).expect("a summary");
    assert!(
        summary.starts_with("3 images, 2 ok, 0 failed the gate, 1 could not be scanned; exit 3"),
        "{summary}"
    );
    let rows: Vec<&str> = summary.lines().skip(2).collect();
    assert_eq!(rows.len(), 3, "{summary}");
    assert!(
        rows[0].starts_with("reg.example/app:1")
            && rows[0].contains(" 6 ")
            && rows[0].ends_with("29  ok (exit 0)"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("reg.example/bad:2") && rows[1].ends_with("-  error (exit 3)"),
        "{}",
        rows[1]
    );
    assert!(rows[2].ends_with(" 0  ok (exit 0)"), "{}", rows[2]);
    // Not a terminal: no progress line on stderr.
    assert!(!stderr(&out).contains("elapsed"), "{}", stderr(&out));
}

#[test]
fn json_is_one_object_per_line_then_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let out = trivy_scan()
        .args(["a.example/x:1", "a.example/bad:1", "a.example/clean:1"])
        .args([
            "--format",
            "json",
            "--severity",
            "CRITICAL,HIGH",
            "--trivy-bin",
        ])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4, "{}", stdout(&out));
    let by_image = |name: &str| {
        lines
            .iter()
            .find(|v| v["image"] == name)
            .unwrap_or_else(|| panic!("no line for {name}: {}", stdout(&out)))
    };
    let x = by_image("a.example/x:1");
    assert_eq!(x["total"], 15);
    assert_eq!(x["counts"]["CRITICAL"], 6);
    assert_eq!(x["exit"], 0);
    assert_eq!(by_image("a.example/clean:1")["total"], 0);
    let bad = by_image("a.example/bad:1");
    assert_eq!(bad["exit"], 3);
    assert!(
        bad["error"].as_str().unwrap().contains("unable to find"),
        "{bad}"
    );
    let summary = &lines[3]["summary"];
    assert_eq!(summary["images"], 3);
    assert_eq!(summary["ok"], 2);
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["exit"], 3);
}

#[test]
fn the_gate_runs_per_image_and_a_failed_gate_is_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let slo = dir.path().join("slo.yaml");
    std::fs::write(
        &slo,
        "spec_version: \"1.0\"\ncomparison:\n  compare_with: single_result\n  include_result_with_score: pass\n  aggregate_function: avg\n  number_of_comparison_results: 1\nobjectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria:\n          - \"<=0\"\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n",
    )
    .unwrap();
    let out = trivy_scan()
        .args(["r.example/clean:1", "r.example/app:1", "--slo"])
        .arg(&slo)
        .arg("--trivy-bin")
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", all(&out));
    let text = stdout(&out);
    assert!(
        text.contains("1 ok, 1 failed the gate, 0 could not be scanned; exit 1"),
        "{text}"
    );
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("r.example/"))
        .collect();
    assert!(rows[0].ends_with("pass (exit 0)"), "{text}");
    assert!(rows[1].ends_with("fail (exit 1)"), "{text}");
    // The gate's own text is printed under the image's name.
    assert!(
        text.lines()
            .any(|l| l.starts_with("[r.example/app:1] ") && l.contains("fail")),
        "{text}"
    );
}

#[test]
fn at_most_jobs_scans_run_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let images: Vec<String> = (0..6).map(|i| format!("r.example/app:{i}")).collect();
    let out = trivy_scan()
        .args(&images)
        .args(["--jobs", "2", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let running: Vec<usize> = log(dir.path())
        .iter()
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(running.len(), 6);
    assert!(running.iter().all(|n| *n <= 2), "{running:?}");
    assert!(running.contains(&2), "never two at once: {running:?}");
}

#[test]
fn a_timeout_is_that_image_s_error_only() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let start = std::time::Instant::now();
    let out = trivy_scan()
        .args([
            "r.example/slow:1",
            "r.example/app:1",
            "--timeout",
            "1s",
            "--trivy-bin",
        ])
        .arg(&bin)
        .output()
        .unwrap();
    assert!(start.elapsed().as_secs() < 20);
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    let text = stdout(&out);
    assert!(
        text.contains("[r.example/slow:1] Error (exit 3): trivy did not finish within 1s"),
        "{text}"
    );
    assert!(
        text.contains("[r.example/app:1] Finished. Total Vulnerability Count: 29"),
        "{text}"
    );
}

// ---- lists -------------------------------------------------------------------------------

fn list_run(list: &str) -> (Output, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let file = dir.path().join("images.txt");
    std::fs::write(&file, list).unwrap();
    let out = trivy_scan()
        .arg("--images")
        .arg(&file)
        .arg("--trivy-bin")
        .arg(&bin)
        .output()
        .unwrap();
    (out, log(dir.path()))
}

#[test]
fn a_list_file_with_comments_and_blank_lines() {
    let (out, scans) =
        list_run("# nightly\n\nr.example/a:1\n  r.example/clean:2   # trailing comment\n");
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(scans.len(), 2);
    assert!(stdout(&out).contains("2 images, 2 ok"), "{}", stdout(&out));
}

#[test]
fn bad_lists_are_exit_2_with_line_numbers_and_nothing_runs() {
    for (list, needles) in [
        ("", &["holds no image reference"][..]),
        ("# only a comment\n\n", &["holds no image reference"][..]),
        (
            "r.example/a:1\nr.example/b:1\nr.example/a:1\n",
            &["line 3: `r.example/a:1` is a duplicate of line 1"][..],
        ),
        (
            "r.example/a:1\n--config=/etc/passwd\n",
            &["line 2: ", "`--config=/etc/passwd` starts with `-`"][..],
        ),
    ] {
        let (out, scans) = list_run(list);
        assert_eq!(out.status.code(), Some(2), "{list:?}: {}", all(&out));
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("trivy-scan: error: the image list "),
            "{err}"
        );
        for n in needles {
            assert!(err.contains(n), "{list:?}: {err}");
        }
        assert!(scans.is_empty(), "trivy ran: {scans:?}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn a_list_on_stdin_and_positional_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let out = trivy_scan()
        .args(["--images", "-", "--trivy-bin"])
        .arg(&bin)
        .write_stdin("r.example/a:1\nr.example/b:1\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert_eq!(log(dir.path()).len(), 2);
    let out = trivy_scan()
        .args(["r.example/a:1", "r.example/a:1", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("argument 2: `r.example/a:1` is a duplicate of argument 1"),
        "{}",
        stderr(&out)
    );
    // An image list and --report do not mix; several images keep no single report.
    for args in [
        &["--images", "-", "--report", "x.json"][..],
        &["--images", "-", "--save-report", "x.json"][..],
        &["r.example/a:1", "r.example/b:1", "--report", "x.json"][..],
        &["r.example/a:1", "r.example/b:1", "--save-report", "x.json"][..],
        &["--images", "-", "--format", "sarif"][..],
        &["r.example/a:1", "r.example/b:1", "--sarif", "x.sarif"][..],
        &["--images", "-", "r.example/a:1"][..],
    ] {
        let out = trivy_scan()
            .args(args)
            .write_stdin("r.example/a:1\nr.example/b:1\n")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", all(&out));
        // Refused for what was asked, not for an unreadable list.
        let why = stderr(&out);
        assert!(
            ["--report", "--save-report", "SARIF", "cannot be used with"]
                .iter()
                .any(|w| why.contains(w)),
            "{args:?}: {why}"
        );
        assert!(log(dir.path()).len() == 2, "trivy ran for {args:?}");
    }
    // The gate on a backend asks it about one image; with several it is refused.
    let slo = dir.path().join("slo.yaml");
    let sli = dir.path().join("sli.yaml");
    std::fs::write(&slo, "spec_version: \"1.0\"\nobjectives:\n  - sli: vulnerabilities_critical\n    pass:\n      - criteria:\n          - \"<=0\"\ntotal_score:\n  pass: \"90%\"\n  warning: \"75%\"\n").unwrap();
    std::fs::write(
        &sli,
        "spec_version: \"1.0\"\nindicators:\n  vulnerabilities_critical: up\n",
    )
    .unwrap();
    let out = trivy_scan()
        .args(["r.example/a:1", "r.example/b:1", "--provider", "prometheus"])
        .args(["--prometheus-url", "http://127.0.0.1:9", "--slo"])
        .arg(&slo)
        .arg("--sli")
        .arg(&sli)
        .arg("--trivy-bin")
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", all(&out));
    assert!(
        stderr(&out).contains("--provider gates one image"),
        "{}",
        stderr(&out)
    );
    assert_eq!(log(dir.path()).len(), 2);
}

/// 10,000 references with --jobs 2: never more than two scans at once, and the process's
/// memory and open files stay flat (sampled from /proc while it runs).
#[test]
fn ten_thousand_references_with_bounded_memory_and_files() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // The quickest stand-in: copy an empty report.
    let bin = dir.path().join("trivy");
    let clean = report("slmicro-image-zero-vulns.json");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --output=*) exec cp {} \"${{a#--output=}}\";; esac; done\nexit 1\n",
            clean.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let list: String = (0..10_000)
        .map(|i| format!("r.example/team-{}/app:{i}\n", i % 97))
        .collect();
    let file = dir.path().join("images.txt");
    std::fs::write(&file, list).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin!("trivy-scan"))
        .args(["--format", "json", "--jobs", "2", "--images"])
        .arg(&file)
        .arg("--trivy-bin")
        .arg(&bin)
        .env_remove("CI")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Drain stdout on a thread while sampling.
    let mut out_pipe = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out_pipe, &mut s).unwrap();
        s
    });
    let (mut max_rss_kb, mut max_fds, mut max_children) = (0u64, 0usize, 0usize);
    while child.try_wait().unwrap().is_none() {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            for l in status.lines() {
                if let Some(v) = l.strip_prefix("VmRSS:") {
                    let kb: u64 = v.trim().trim_end_matches(" kB").trim().parse().unwrap_or(0);
                    max_rss_kb = max_rss_kb.max(kb);
                }
            }
        }
        if let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
            max_fds = max_fds.max(fds.count());
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            max_children = max_children.max(children.split_whitespace().count());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = child.wait().unwrap();
    let text = reader.join().unwrap();
    assert_eq!(
        status.code(),
        Some(0),
        "{}",
        text.lines().last().unwrap_or("")
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 10_001);
    let summary: serde_json::Value = serde_json::from_str(lines[10_000]).unwrap();
    assert_eq!(summary["summary"]["images"], 10_000);
    assert_eq!(summary["summary"]["ok"], 10_000);
    assert!(max_children <= 2, "{max_children} trivy processes at once");
    assert!(max_fds < 64, "{max_fds} open files");
    assert!(
        max_rss_kb > 0 && max_rss_kb < 64 * 1024,
        "peak RSS {max_rss_kb} kB"
    );
}

// ---- the trivy server's token ------------------------------------------------------------

#[test]
fn the_token_reaches_trivy_through_its_environment_only() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{SECRET}\n")).unwrap();
    for how in [
        &["--token", SECRET][..],
        &["--token-file", token_file.to_str().unwrap()][..],
    ] {
        std::fs::remove_file(dir.path().join("log")).ok();
        let out = trivy_scan()
            .args(["r.example/a:1", "r.example/bad:1", "-vv"])
            .args([
                "--server",
                "http://127.0.0.1:4954",
                "--token-header",
                "X-Scan-Token",
            ])
            .args(how)
            .arg("--trivy-bin")
            .arg(&bin)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{}", all(&out));
        let scans = log(dir.path());
        assert_eq!(scans.len(), 2);
        for s in &scans {
            let (args, token) = s.rsplit_once(" token=").unwrap();
            assert_eq!(token, SECRET, "{s}");
            assert!(
                !args.contains(SECRET),
                "the token is in trivy's arguments: {args}"
            );
            assert!(args.contains("--server=http://127.0.0.1:4954"), "{args}");
            assert!(args.contains("--token-header=X-Scan-Token"), "{args}");
        }
        // Debug logs (-vv) show trivy's arguments; never the token.
        assert!(stderr(&out).contains("running trivy"), "{}", stderr(&out));
        assert!(
            !all(&out).contains(SECRET),
            "the token leaked: {}",
            all(&out)
        );
    }
}

#[test]
fn a_token_over_plain_http_to_another_host_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let run = |extra: &[&str], env_token: bool| {
        let mut cmd = trivy_scan();
        cmd.args(["r.example/a:1", "--server", "http://trivy.example:4954"])
            .args(extra)
            .arg("--trivy-bin")
            .arg(&bin);
        if env_token {
            cmd.env("TRIVY_TOKEN", SECRET);
        }
        cmd.output().unwrap()
    };
    for (extra, env_token) in [(&["--token", SECRET][..], false), (&[][..], true)] {
        let out = run(extra, env_token);
        assert_eq!(out.status.code(), Some(2), "{}", all(&out));
        let err = stderr(&out);
        assert!(
            err.contains("--server") && err.contains("--allow-insecure-http"),
            "{err}"
        );
        assert!(!err.contains(SECRET), "{err}");
    }
    assert!(log(dir.path()).is_empty());
    // Allowed explicitly; and without a token plain http is fine.
    let out = run(&["--token", SECRET, "--allow-insecure-http"], false);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let out = run(&[], false);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    // A token without a server, a bad header name, a token given twice.
    let out = trivy_scan()
        .args(["r.example/a:1", "--token", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--token-header", "Bad Header"], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not an HTTP header name"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &[
            "--allow-insecure-http",
            "--token",
            "a",
            "--token-file",
            "/dev/null",
        ],
        false,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not both"), "{}", stderr(&out));
}

// ---- metrics -----------------------------------------------------------------------------

#[test]
fn every_image_reaches_dynatrace_in_shared_requests() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let dt = FakeDynatrace::start();
    let images: Vec<String> = (0..5).map(|i| format!("r.example/app{i}:1")).collect();
    let out = trivy_scan()
        .args(&images)
        .args([
            "--sink",
            "dynatrace",
            "--dynatrace-token",
            TOKEN,
            "--dynatrace-url",
        ])
        .arg(dt.url())
        .arg("--trivy-bin")
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    // Five images, six lines each, in one request.
    assert_eq!(dt.request_count(), 1, "{:?}", dt.requests());
    let lines = dt.lines();
    assert_eq!(lines.len(), 30);
    for i in 0..5 {
        let needle =
            format!("trivy.vulnerabilities.CRITICAL,image=\"r.example/app{i}\",tag=\"1\" 6");
        assert!(lines.contains(&needle), "{needle} missing: {lines:?}");
    }
    assert!(
        stderr(&out).contains("metrics: dynatrace accepted 30 metrics of 5 images"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_failed_push_names_the_images_and_the_results_still_print() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let dt = FakeDynatrace::start();
    dt.set_fallback(Reply::Status(503));
    let run = |required: bool| {
        let mut cmd = trivy_scan();
        cmd.args([
            "r.example/a:1",
            "r.example/b:1",
            "--format",
            "json",
            "--retries",
            "0",
        ])
        .args([
            "--sink",
            "dynatrace",
            "--dynatrace-token",
            TOKEN,
            "--dynatrace-url",
        ])
        .arg(dt.url())
        .arg("--trivy-bin")
        .arg(&bin);
        if required {
            cmd.arg("--metrics-required");
        }
        cmd.output().unwrap()
    };
    let out = run(false);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    let err = stderr(&out);
    assert!(
        err.contains("warning: metrics push to dynatrace failed for 2 images (")
            && err.contains("r.example/a:1")
            && err.contains("r.example/b:1"),
        "{err}"
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 3);
    let metrics = &lines[2]["summary"]["metrics"][0];
    assert_eq!(metrics["sink"], "dynatrace");
    assert_eq!(metrics["status"], "failed");
    assert_eq!(metrics["images_failed"].as_array().unwrap().len(), 2);
    let out = run(true);
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    assert_eq!(
        json_lines(&out).len(),
        3,
        "results are printed before the error"
    );
    assert!(
        stderr(&out).contains("--metrics-required"),
        "{}",
        stderr(&out)
    );
}

// ---- progress ----------------------------------------------------------------------------

/// On a terminal (a pseudo-terminal from `script`), a progress line on stderr; with CI set,
/// none.
#[test]
fn a_progress_line_only_on_a_terminal_outside_ci() {
    let Some(script) = test_support::process::find_program("script") else {
        panic!("`script` (util-linux) is needed for the terminal test");
    };
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let exe = assert_cmd::cargo::cargo_bin!("trivy-scan");
    let command = format!(
        "{} r.example/a:1 r.example/b:1 r.example/bad:1 --jobs 1 --trivy-bin {} >/dev/null",
        exe.display(),
        bin.display()
    );
    let run = |ci: Option<&str>| {
        let mut cmd = std::process::Command::new(&script);
        cmd.args(["-q", "-e", "-c", &command, "/dev/null"]);
        for var in test_support::cli::CALLER_ENV {
            cmd.env_remove(var);
        }
        if let Some(v) = ci {
            cmd.env("CI", v);
        }
        cmd.output().unwrap()
    };
    let out = run(None);
    let tty = stdout(&out);
    assert!(tty.contains("trivy-scan: 3/3 images, 1 failed"), "{tty:?}");
    assert!(tty.contains("\r\x1b[2K"), "{tty:?}");
    let out = run(Some("true"));
    assert!(!stdout(&out).contains("images, "), "{:?}", stdout(&out));
}

/// The whole text output of a small batch, one image at a time so the order is fixed: the
/// preamble, each image's lines, an error, and the summary table.
#[test]
fn the_text_output_of_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_trivy(dir.path());
    let out = trivy_scan()
        .args([
            "reg.example/app:1",
            "reg.example/bad:2",
            "reg.example/clean:3",
        ])
        .args(["--jobs", "1", "--severity", "critical,high", "--trivy-bin"])
        .arg(&bin)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", all(&out));
    insta::with_settings!({filters => vec![(r"; exit 3 \([0-9.]+s\)", "; exit 3 (TIME)")]}, {
        insta::assert_snapshot!("batch_text", stdout(&out));
    });
}
