//! The deployment files in `deploy/`, checked as far as this machine can (docs/deploy.md says what is not run
//! here): the systemd unit by `systemd-analyze verify`, the Dockerfile and the compose file by what they must say,
//! and `quantarya healthcheck`, the Dockerfile's `HEALTHCHECK`, against a running service.

mod support;

use std::process::Command;

use support::{BIN, Served, free_port};

fn file(path: &str) -> String {
    let path = format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The unit verifies with systemd's own checker (its `ExecStart` pointed at the binary this build made, which the
/// checker requires to exist), without a warning; and it runs `serve` sandboxed, with its state kept.
#[test]
fn the_systemd_unit_verifies_and_keeps_its_state() {
    let unit = file("deploy/quantarya.service");
    for line in [
        "ExecStart=/usr/local/bin/quantarya serve",
        "DynamicUser=yes",
        "StateDirectory=quantarya",
        "Environment=QUANTARYA_DATA_DIR=/var/lib/quantarya",
        "EnvironmentFile=-/etc/quantarya/env",
        "KillSignal=SIGTERM",
        "ProtectSystem=strict",
        "NoNewPrivileges=yes",
    ] {
        assert!(unit.lines().any(|l| l == line), "the unit lacks {line}");
    }
    let Ok(found) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("systemd-analyze is not installed: the unit was checked by its lines only");
        return;
    };
    assert!(found.status.success(), "{found:?}");
    let directory = tempfile::tempdir().expect("a directory");
    let here = directory.path().join("quantarya.service");
    std::fs::write(&here, unit.replace("/usr/local/bin/quantarya", BIN)).expect("written");
    let verified = Command::new("systemd-analyze").arg("verify").arg(&here).output().expect("runs");
    let said = String::from_utf8_lossy(&verified.stderr);
    assert!(verified.status.success() && said.trim().is_empty(), "systemd-analyze verify: {verified:?}");
}

/// Two stages, a user without privileges, the journal in a volume, and a health check the image can run with the
/// binary alone.
#[test]
fn the_dockerfile_builds_in_two_stages_and_runs_unprivileged_with_a_health_check() {
    let dockerfile = file("deploy/Dockerfile");
    let from: Vec<&str> = dockerfile.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert_eq!(from.len(), 2, "a build stage and a run stage: {from:?}");
    assert!(from[0].ends_with(" AS build") && dockerfile.contains("COPY --from=build"), "{dockerfile}");
    assert!(dockerfile.contains("cargo build --release --locked -p quantarya-app"), "{dockerfile}");
    assert!(dockerfile.lines().any(|l| l == "USER 10001:10001"), "not root");
    assert!(
        dockerfile.contains(r#"VOLUME ["/var/lib/quantarya"]"#)
            && dockerfile.contains("QUANTARYA_DATA_DIR=/var/lib/quantarya")
    );
    assert!(dockerfile.contains(r#"CMD ["quantarya", "healthcheck"]"#), "{dockerfile}");
    assert!(file(".dockerignore").lines().any(|l| l == "target"), "the build context leaves target/ out");
    let help = Command::new(BIN).args(["healthcheck", "--help"]).output().expect("runs");
    assert!(help.status.success(), "the health check is a command of the binary: {help:?}");
}

/// Quantarya on PostgreSQL, started once the database is healthy, built from this repository, reachable from this
/// host only, with its secrets required from the environment.
#[test]
fn the_compose_file_runs_quantarya_on_a_healthy_postgres() {
    let compose = file("deploy/compose.yaml");
    for text in [
        "  postgres:\n    image: postgres:16",
        "  quantarya:\n    build:\n      context: ..\n      dockerfile: deploy/Dockerfile",
        "      postgres:\n        condition: service_healthy",
        "pg_isready -U quantarya -d quantarya",
        "DATABASE_URL: postgres://quantarya:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}@postgres:5432/quantarya",
        "QUANTARYA_JWT_SECRET: ${QUANTARYA_JWT_SECRET:?",
        "\"127.0.0.1:8080:8080\"",
    ] {
        assert!(compose.contains(text), "the compose file lacks {text:?}");
    }
    assert!(!compose.contains('\t'), "YAML is indented with spaces");
}

/// `quantarya healthcheck` exits 0 while the service answers on the address it binds, and fails, saying why, when
/// nothing does.
#[test]
fn the_health_check_passes_while_the_service_answers_and_fails_when_it_does_not() {
    let port = free_port();
    let served = Served::start(port, &[], None);
    let bind = format!("0.0.0.0:{port}");
    let up = Command::new(BIN).arg("healthcheck").env("QUANTARYA_BIND", &bind).output().expect("runs");
    assert!(up.status.success(), "{up:?}");
    assert!(served.terminate().success());
    let down = Command::new(BIN).args(["healthcheck", "--bind", &bind]).output().expect("runs");
    assert!(!down.status.success(), "{down:?}");
    assert!(String::from_utf8_lossy(&down.stderr).contains(&format!("127.0.0.1:{port}")), "{down:?}");
}
