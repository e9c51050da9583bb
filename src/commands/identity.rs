//! `guard identity`: make, publish and rotate the signing key.

use super::CommandError;
use crate::cli::IdentityCommand;
use crate::exit::ExitCode;
use crate::identity;

/// Runs one `guard identity` subcommand.
pub fn identity(command: IdentityCommand) -> Result<ExitCode, CommandError> {
    let dir = crate::session::StateDir::from_process().identity();
    let mut pem = false;
    match command {
        IdentityCommand::Init => {
            let made = identity::init(&dir)?;
            eprintln!("guard: made signing key {} in {}", made.kid, dir.display());
        }
        IdentityCommand::Jwks { pem: as_pem } => pem = as_pem,
        IdentityCommand::Rotate => {
            let (made, retired) = identity::rotate(&dir, crate::policy::MAX_TTL_SECONDS)?;
            eprintln!(
                "guard: key {} signs from now on; {retired} stays published until its tokens have expired",
                made.kid
            );
        }
    }
    if pem {
        for key in identity::published_keys(&dir)? {
            print!("{}", key.pem().unwrap_or_default());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let jwks = identity::jwks(&dir)?;
    println!(
        "{}",
        serde_json::to_string_pretty(&jwks).expect("a JWKS serializes")
    );
    Ok(ExitCode::SUCCESS)
}
