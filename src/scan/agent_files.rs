//! The files assistants load from a repository by themselves, as
//! instructions or as configuration: one table, read by the scan rules and
//! rendered into docs/scan-rules.md (a test keeps the two the same). Each
//! row says where the fact comes from: the client's current release where
//! it is on this machine, else the vendor's documentation.

/// What an assistant does with the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Read into the model's context as instructions.
    Instructions,
    /// Read as configuration (hooks, MCP servers, tasks): it can run programs.
    Configuration,
}

/// One kind of file an assistant loads.
#[derive(Debug, Clone, Copy)]
pub struct AgentFile {
    /// The path, relative to any directory of the repository: a name
    /// (`CLAUDE.md`), a path (`.github/copilot-instructions.md`), or a
    /// directory whose files count (`.cursor/rules/`).
    pub path: &'static str,
    /// Who loads it.
    pub clients: &'static str,
    /// As what.
    pub used_as: Use,
    /// Where that is written down.
    pub source: &'static str,
}

const CLAUDE: &str = "Claude Code 2.1.197 (strings of its binary)";
const CODEX: &str = "Codex 0.171 (strings of its binary)";
const GEMINI: &str = "Gemini CLI 0.61 (its bundle; `contextFileName` defaults to GEMINI.md)";
const COPILOT: &str = "docs.github.com: copilot/how-tos/configure-custom-instructions";
const CLINE: &str = "docs.cline.bot: features/cline-rules/overview";

/// Every file an assistant loads by itself.
pub const AGENT_FILES: &[AgentFile] = &[
    AgentFile {
        path: "CLAUDE.md",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: "CLAUDE.local.md",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/commands/",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/agents/",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/skills/",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/rules/",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/output-styles/",
        clients: "Claude Code",
        used_as: Use::Instructions,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/settings.json",
        clients: "Claude Code",
        used_as: Use::Configuration,
        source: CLAUDE,
    },
    AgentFile {
        path: ".claude/settings.local.json",
        clients: "Claude Code",
        used_as: Use::Configuration,
        source: CLAUDE,
    },
    AgentFile {
        path: ".mcp.json",
        clients: "Claude Code",
        used_as: Use::Configuration,
        source: CLAUDE,
    },
    AgentFile {
        path: "AGENTS.md",
        clients: "Codex, Cline, Junie, Copilot",
        used_as: Use::Instructions,
        source: CODEX,
    },
    AgentFile {
        path: "AGENTS.override.md",
        clients: "Codex",
        used_as: Use::Instructions,
        source: CODEX,
    },
    AgentFile {
        path: ".codex/skills/",
        clients: "Codex",
        used_as: Use::Instructions,
        source: CODEX,
    },
    AgentFile {
        path: ".codex/agents/",
        clients: "Codex",
        used_as: Use::Instructions,
        source: CODEX,
    },
    AgentFile {
        path: ".agents/skills/",
        clients: "Codex",
        used_as: Use::Instructions,
        source: CODEX,
    },
    AgentFile {
        path: ".codex/config.toml",
        clients: "Codex",
        used_as: Use::Configuration,
        source: CODEX,
    },
    AgentFile {
        path: "GEMINI.md",
        clients: "Gemini CLI",
        used_as: Use::Instructions,
        source: GEMINI,
    },
    AgentFile {
        path: ".gemini/skills/",
        clients: "Gemini CLI",
        used_as: Use::Instructions,
        source: GEMINI,
    },
    AgentFile {
        path: ".gemini/settings.json",
        clients: "Gemini CLI",
        used_as: Use::Configuration,
        source: GEMINI,
    },
    AgentFile {
        path: ".cursorrules",
        clients: "Cursor, Cline",
        used_as: Use::Instructions,
        source: CLINE,
    },
    AgentFile {
        path: ".cursor/rules/",
        clients: "Cursor, Cline",
        used_as: Use::Instructions,
        source: CLINE,
    },
    AgentFile {
        path: ".github/copilot-instructions.md",
        clients: "GitHub Copilot",
        used_as: Use::Instructions,
        source: COPILOT,
    },
    AgentFile {
        path: ".github/instructions/",
        clients: "GitHub Copilot",
        used_as: Use::Instructions,
        source: COPILOT,
    },
    AgentFile {
        path: ".github/prompts/",
        clients: "GitHub Copilot",
        used_as: Use::Instructions,
        source: COPILOT,
    },
    AgentFile {
        path: ".windsurfrules",
        clients: "Windsurf, Cline",
        used_as: Use::Instructions,
        source: CLINE,
    },
    AgentFile {
        path: ".windsurf/rules/",
        clients: "Windsurf, Cline",
        used_as: Use::Instructions,
        source: CLINE,
    },
    AgentFile {
        path: ".clinerules",
        clients: "Cline",
        used_as: Use::Instructions,
        source: CLINE,
    },
    AgentFile {
        path: ".clinerules/",
        clients: "Cline",
        used_as: Use::Instructions,
        source: CLINE,
    },
    AgentFile {
        path: ".junie/guidelines.md",
        clients: "JetBrains Junie",
        used_as: Use::Instructions,
        source: "jetbrains.com: help/junie/customize-guidelines.html",
    },
    AgentFile {
        path: ".amazonq/rules/",
        clients: "Amazon Q Developer",
        used_as: Use::Instructions,
        source: "docs.aws.amazon.com: amazonq/latest/qdeveloper-ug/context-project-rules.html",
    },
    AgentFile {
        path: "CONVENTIONS.md",
        clients: "aider (when `.aider.conf.yml` has it in `read`)",
        used_as: Use::Instructions,
        source: "aider.chat: docs/usage/conventions.html",
    },
    AgentFile {
        path: ".vscode/tasks.json",
        clients: "VS Code and its forks (tasks that run on folder open)",
        used_as: Use::Configuration,
        source: "code.visualstudio.com: docs/editor/tasks",
    },
];

/// The row a repository file (`name`, relative, `/`-separated) matches.
pub fn agent_file(name: &str) -> Option<&'static AgentFile> {
    let name = name.strip_prefix("./").unwrap_or(name);
    AGENT_FILES
        .iter()
        .find(|row| match row.path.strip_suffix('/') {
            // A directory: any file beneath it, at any depth of the repository.
            Some(dir) => name.starts_with(&format!("{dir}/")) || name.contains(&format!("/{dir}/")),
            // A file: the whole name, or its end after a `/`.
            None => name == row.path || name.ends_with(&format!("/{}", row.path)),
        })
}

/// The table as docs/scan-rules.md shows it.
pub fn markdown_table() -> String {
    let mut table =
        String::from("| file (at any depth) | loaded by | as | source |\n|---|---|---|---|\n");
    for row in AGENT_FILES {
        let used_as = match row.used_as {
            Use::Instructions => "instructions",
            Use::Configuration => "configuration",
        };
        table.push_str(&format!(
            "| `{}` | {} | {used_as} | {} |\n",
            row.path, row.clients, row.source
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_match_at_any_depth_and_directories_by_what_is_beneath() {
        let used = |name: &str| agent_file(name).map(|row| row.path);
        assert_eq!(used("CLAUDE.md"), Some("CLAUDE.md"));
        assert_eq!(used("sub/dir/AGENTS.md"), Some("AGENTS.md"));
        assert_eq!(used(".cursor/rules/style.mdc"), Some(".cursor/rules/"));
        assert_eq!(
            used("app/.github/instructions/x.instructions.md"),
            Some(".github/instructions/")
        );
        assert_eq!(used("NOTCLAUDE.md"), None);
        assert_eq!(used("docs/README.md"), None);
    }

    /// The table in docs/scan-rules.md is this one
    /// (`GUARD_UPDATE_SNAPSHOTS=1` rewrites it).
    #[test]
    fn the_documented_table_is_the_one_the_rules_read() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scan-rules.md");
        let docs = std::fs::read_to_string(path).unwrap();
        let (begin, end) = ("<!-- agent-files: begin -->\n", "<!-- agent-files: end -->");
        let start = docs.find(begin).expect("the table's begin marker") + begin.len();
        let stop = docs.find(end).expect("the table's end marker");
        let table = markdown_table();
        if docs[start..stop] != table && std::env::var_os("GUARD_UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, format!("{}{table}{}", &docs[..start], &docs[stop..])).unwrap();
            return;
        }
        assert_eq!(
            docs[start..stop],
            table,
            "run with GUARD_UPDATE_SNAPSHOTS=1"
        );
    }
}
