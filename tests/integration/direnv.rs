//! direnv runs a repository's `.envrc` at the user's every `cd`, once the
//! user has allowed that exact file; what it loads (`dotenv`, a sourced
//! file, a directory put first on PATH) is not covered by the allowance.
//! A session cannot plant there, in both modes and as both identities; the
//! user's real direnv, unconfined, then runs nothing planted, and the
//! existing script in the PATH directory stays the session's to edit.

use crate::boundary::MODES;
use crate::support::*;

#[test]
fn what_direnv_loads_at_the_next_cd_cannot_be_planted() {
    for_each_identity(|env| {
        for mode in MODES {
            let env = &TestEnv::new(env.identity);
            let repo = &env.repo;
            std::fs::write(
                repo.join(".envrc"),
                "dotenv\nsource_env_if_exists .envrc.local\nPATH_add bin\n",
            )
            .unwrap();
            std::fs::write(repo.join(".env"), "GREETING=hello\n").unwrap();
            std::fs::create_dir_all(repo.join("bin")).unwrap();
            std::fs::write(repo.join("bin/build.sh"), "#!/bin/sh\necho build\n").unwrap();
            env.give(repo);
            let allow = env
                .command("direnv")
                .arg("allow")
                .arg(repo)
                .output()
                .unwrap();
            assert!(allow.status.success(), "{}", all_output(&allow));

            let marker = env.home.join("PLANTED-RAN");
            let touch = format!("touch {}", marker.display());
            let attacks = [
                format!("printf '#!/bin/sh\\n{touch}\\n' > bin/git && chmod +x bin/git"),
                format!(
                    "printf '#!/bin/sh\\n{touch}\\n' > git-new && chmod +x git-new && mv git-new bin/git"
                ),
                format!("echo '{touch}' > .envrc.local"),
                format!("echo '{touch}' >> .envrc"),
                "echo 'GREETING=planted' >> .env".to_string(),
                "mv bin bin-old && mkdir bin".to_string(),
            ];
            let work = [
                "printf '#!/bin/sh\\necho built\\n' > bin/build.sh",
                "echo notes > notes.txt",
            ];
            let battery = Battery {
                attacks: &attacks,
                work: &work,
            };
            let output = env.run_script(mode, &battery.script());
            battery.check(mode, &all_output(&output));

            // The user's next `cd`, unconfined: direnv loads .envrc, then the
            // user runs git and reads the environment.
            let mut next = env.command("direnv");
            next.args(["exec", &repo.display().to_string(), "sh", "-c"])
                .arg("git --version && echo \"greeting=$GREETING\"");
            let next = next.output().unwrap();
            let text = all_output(&next);
            assert!(next.status.success(), "{mode:?}: {text}");
            assert!(text.contains("greeting=hello"), "{mode:?}: {text}");
            assert!(!marker.exists(), "{mode:?}: a planted command ran: {text}");
            assert!(!repo.join("bin/git").exists(), "{mode:?}");
            assert_eq!(
                std::fs::read_to_string(repo.join("bin/build.sh")).unwrap(),
                "#!/bin/sh\necho built\n",
                "{mode:?}: the existing script is the session's to edit"
            );
        }
    });
}
