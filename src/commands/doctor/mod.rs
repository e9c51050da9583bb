//! `guard doctor`: what the kernel supports and what guard will use, and
//! whether the toolchain managers found run under the default profile.

mod toolchains;

use super::CommandError;
use crate::exit::ExitCode;
use crate::sandbox::features::{KernelFeatures, REQUIRED_LANDLOCK_ABI};
use serde::Serialize;

#[derive(Serialize)]
struct Report {
    features: KernelFeatures,
    protection_mechanism: &'static str,
    audit_fast_path: bool,
    missing: Vec<String>,
    ok: bool,
    toolchains: Vec<toolchains::Toolchain>,
}

/// Prints the report; exits 1 when `guard run` could not enforce `default`.
pub fn doctor(json: bool, no_namespaces: bool) -> Result<ExitCode, CommandError> {
    let features = KernelFeatures::probe(no_namespaces);
    let missing = features.missing_requirements();
    let mechanism = if features.mount_namespace {
        crate::policy::ProtectionMechanism::SupervisorAndMounts
    } else {
        crate::policy::ProtectionMechanism::Supervisor
    };
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| home.as_ref().map(|home| home.join(".local/share")));
    let found = match (&home, &data, missing.is_empty()) {
        (Some(home), Some(data), true) => toolchains::check(home, data),
        _ => Vec::new(),
    };
    let report = Report {
        toolchains: found,
        protection_mechanism: crate::policy::mechanism_text(mechanism),
        audit_fast_path: kernel_at_least(&features.kernel, 6, 6),
        ok: missing.is_empty(),
        missing,
        features,
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(std::io::Error::other)?
        );
    } else {
        print_text(&report);
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::CHECK_FAILED
    })
}

fn print_text(report: &Report) {
    let f = &report.features;
    let mark = |ok: bool| if ok { "ok  " } else { "MISSING" };
    println!("kernel            {}", f.kernel);
    println!(
        "{} Landlock ABI {} (need {REQUIRED_LANDLOCK_ABI}: filesystem rights, TCP ports, signal and abstract-socket scopes)",
        mark(f.landlock_abi >= REQUIRED_LANDLOCK_ABI),
        f.landlock_abi
    );
    if f.landlock_abi >= 7 {
        println!("ok   Landlock ABI 7 audit-log flags available");
    }
    println!(
        "{} seccomp filters (errno deny list)",
        mark(f.seccomp_filter)
    );
    println!(
        "{} seccomp user notification (for the audit supervisor{})",
        if f.seccomp_user_notif { "ok  " } else { "warn" },
        if report.audit_fast_path {
            "; sync wake-up fast path available"
        } else {
            ""
        }
    );
    println!(
        "{} mount and pid namespaces: {}",
        if f.mount_namespace { "ok  " } else { "warn" },
        f.mount_namespace_detail
    );
    println!("     protected paths: {}", report.protection_mechanism);
    println!(
        "     unix socket connect: not covered by Landlock ABI {}; guard refuses socket(AF_UNIX) unless a profile sets network.unix_sockets = \"any\"",
        f.landlock_abi
    );
    if !report.toolchains.is_empty() {
        println!("\ntoolchain managers, a program of each run under the default profile:");
        for toolchain in &report.toolchains {
            println!(
                "{} {:<6} {}: {}",
                if toolchain.runs { "ok  " } else { "FAIL" },
                toolchain.manager,
                toolchain.program.display(),
                toolchain.detail
            );
        }
    }
    if report.ok {
        println!("\nguard run can enforce the default profile on this machine.");
    } else {
        println!("\nguard run cannot enforce its sandbox here:");
        for line in &report.missing {
            println!("  - {line}");
        }
    }
}

/// Whether `release` (`6.18.44-…`) is at least `major.minor`.
fn kernel_at_least(release: &str, major: u32, minor: u32) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|p| p.parse::<u32>().ok());
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}
