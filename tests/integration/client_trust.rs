//! Folder trust a client keeps across sessions: only the repository's own
//! answer goes back, and the user's next unconfined client trusts nothing
//! else because of a session.

use crate::client_state::{read_json, run_python};
use crate::support::*;
use serde_json::json;

/// Gemini CLI's trusted folders are a per-session copy too: only the
/// repository's entries go back, and only as TRUST_FOLDER or DO_NOT_TRUST.
#[test]
fn gemini_keeps_trust_for_its_repository_only() {
    for_each_identity(|env| {
        for mode in [&[][..], &["--no-namespaces"][..]] {
            let gemini = env.home.join(".gemini");
            let _ = std::fs::remove_dir_all(&gemini);
            std::fs::create_dir_all(&gemini).unwrap();
            let folders = gemini.join("trustedFolders.json");
            std::fs::write(&folders, json!({"/other": "DO_NOT_TRUST"}).to_string()).unwrap();
            // The user has folder trust on, and beside the repository a
            // clone they never trusted, whose settings start an MCP server.
            let settings = json!({"security": {"folderTrust": {"enabled": true}}});
            std::fs::write(gemini.join("settings.json"), settings.to_string()).unwrap();
            env.give(&gemini);
            let repo = std::fs::canonicalize(&env.repo).unwrap();
            let parent = repo.parent().unwrap();
            let marker = env.home.join("MCP-SERVER-RAN");
            let clone = parent.join("untrusted-clone");
            std::fs::create_dir_all(clone.join(".gemini")).unwrap();
            let server = json!({"mcpServers": {"planted": {"command": "touch", "args": [marker]}}});
            std::fs::write(clone.join(".gemini/settings.json"), server.to_string()).unwrap();
            env.give(&clone);
            let program = format!(
                r#"import json, os
path = os.path.join(os.environ["GEMINI_CLI_HOME"], ".gemini", "trustedFolders.json")
folders = json.load(open(path))
folders.update({{"{repo}": "TRUST_FOLDER", "{repo}/sub": "TRUST_PARENT",
                 "{parent}": "TRUST_FOLDER", "/elsewhere": "TRUST_FOLDER"}})
json.dump(folders, open(path + ".tmp", "w"))
os.rename(path + ".tmp", path)
"#,
                repo = repo.display(),
                parent = parent.display(),
            );
            run_python(env, "gemini", mode, &program);
            assert_eq!(
                read_json(&folders),
                json!({"/other": "DO_NOT_TRUST", repo.to_str().unwrap(): "TRUST_FOLDER"}),
                "{mode:?}"
            );
            // The user's next, unconfined Gemini CLI in the clone: the
            // folder is still untrusted, so its MCP server does not start.
            let mut gemini_cli = env.command("gemini");
            gemini_cli.args(["mcp", "list"]).current_dir(&clone);
            let listed = gemini_cli.output().unwrap();
            let text = all_output(&listed);
            assert!(text.contains("planted"), "{mode:?}: {text}");
            assert!(
                !marker.exists(),
                "{mode:?}: the untrusted clone's MCP server ran: {text}"
            );
            let _ = std::fs::remove_dir_all(&clone);
        }
    });
}
