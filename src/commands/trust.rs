//! `guard trust`: review and pin a repository's `.guard.toml`.

use super::CommandError;
use crate::cli::TrustArgs;
use crate::exit::ExitCode;
use crate::session::{Context, StateDir};
use crate::trust::{Pin, REPO_PROFILE, TrustStore, digest, line_diff};

/// Runs `guard trust`.
pub fn trust(args: TrustArgs, no_namespaces: bool) -> Result<ExitCode, CommandError> {
    let store_path = StateDir::from_process().trust_store();
    let mut store = TrustStore::load(&store_path)?;
    if args.list {
        if store.pins.is_empty() {
            println!("no trusted repository profiles");
        }
        for (repo, pin) in &store.pins {
            let state = match store.check(repo)? {
                crate::trust::RepoProfile::Trusted { .. } => "trusted",
                crate::trust::RepoProfile::Changed { .. } => "CHANGED since trusted",
                _ => "file gone",
            };
            let widen = if pin.allow_widen { ", may widen" } else { "" };
            println!(
                "{}  {state}{widen}  (trusted {})",
                repo.join(REPO_PROFILE).display(),
                pin.trusted_at
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let command = vec!["sh".to_string()];
    let context = Context::new(&args.session, &command, no_namespaces)?;
    let path = context.repo.join(REPO_PROFILE);
    if args.revoke {
        let removed = store.pins.remove(&context.repo).is_some();
        store.save(&store_path)?;
        println!(
            "{}: {}",
            path.display(),
            if removed {
                "no longer trusted"
            } else {
                "was not trusted"
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    let text = std::fs::read_to_string(&path).map_err(|error| CommandError::Repo {
        path: path.clone(),
        reason: error.to_string(),
    })?;
    if let Some(previous) = store.pins.get(&context.repo)
        && previous.text != text
    {
        println!("{} changed since you trusted it:", path.display());
        for line in line_diff(&previous.text, &text) {
            println!("  {line}");
        }
    }
    let (base, with) = context.compile_both(&text)?;
    let change = crate::policy::compare(&base, &with);
    println!(
        "{} changes your `{}` profile like this:",
        path.display(),
        base.profile.name
    );
    if change.widens.is_empty() && change.narrows.is_empty() {
        println!("  (no change to what is enforced)");
    }
    for line in &change.narrows {
        println!("  - {line}");
    }
    for line in &change.widens {
        println!("  + {line}");
    }
    if !change.widens.is_empty() && !args.allow_widen {
        println!(
            "It grants more than your profile does (+ lines). Not trusted; to accept that, run `guard trust --allow-widen`."
        );
        return Ok(ExitCode::CHECK_FAILED);
    }
    store.pins.insert(
        context.repo.clone(),
        Pin {
            sha256: digest(&text),
            text,
            allow_widen: args.allow_widen,
            trusted_at: crate::clock::rfc3339(crate::clock::now()),
        },
    );
    store.save(&store_path)?;
    println!("trusted: guard run uses it until it changes");
    Ok(ExitCode::SUCCESS)
}
