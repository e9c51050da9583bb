//! The builder behind [`super::compile`]: path entries, tools and the
//! command turned into grants, with the interpreters, loaders and package
//! directories each executable needs.

use super::*;

/// Grants gathered path by path and tool by tool while a profile is compiled.
pub(super) struct Builder<'a> {
    pub(super) name: &'a str,
    pub(super) host: &'a dyn HostView,
    pub(super) variables: &'a Variables,
    pub(super) session_dir: &'a Path,
    pub(super) path_var: String,
    pub(super) filesystem: BTreeMap<PathBuf, PathRule>,
    pub(super) create_dirs: Vec<PathBuf>,
    pub(super) tools: BTreeMap<String, PathBuf>,
    /// The repository.
    pub(super) repo: &'a Path,
    /// Where the repository's `.git` file leads, when it is one.
    pub(super) git_file: Option<GitFile>,
}

/// How a path entry is marked: `?path` may be missing, `+path` is created.
#[derive(Clone, Copy, PartialEq)]
enum EntryMark {
    Required,
    Optional,
    Create,
}

fn split_mark(entry: &str) -> (EntryMark, &str) {
    if let Some(rest) = entry.strip_prefix('?') {
        (EntryMark::Optional, rest)
    } else if let Some(rest) = entry.strip_prefix('+') {
        (EntryMark::Create, rest)
    } else {
        (EntryMark::Required, entry)
    }
}

impl Builder<'_> {
    fn expand(&self, field: &'static str, entry: &str, text: &str) -> Result<String, CompileError> {
        self.variables
            .expand(text)
            .map_err(|source| CompileError::Variable {
                profile: self.name.to_string(),
                field,
                entry: entry.to_string(),
                source,
            })
    }

    pub(super) fn add_path_entry(
        &mut self,
        field: &'static str,
        entry: &str,
        access: Access,
    ) -> Result<(), CompileError> {
        let (mark, text) = split_mark(entry);
        let expanded = self.expand(field, entry, text)?;
        let path = lexically_normal(Path::new(&expanded));
        if !path.is_absolute() {
            return Err(CompileError::NotAbsolute {
                profile: self.name.to_string(),
                field,
                entry: entry.to_string(),
                expanded,
            });
        }
        let because = format!("{field} `{entry}`");
        // The session's own directories are created by the launcher.
        if path.starts_with(self.session_dir) {
            self.grant(&path, PathKind::Dir, access, &because);
            return Ok(());
        }
        if let Some(git_file) = self.git_file.clone() {
            // A path beneath a `.git` file is what lies in the directories
            // it leads to (`{repo}/.git/hooks`: the common `hooks`).
            if let Some(targets) = git_file.through(&path) {
                let mut granted = false;
                for target in targets {
                    if let Ok(real) = self.host.canonicalize(&target) {
                        self.grant_existing(&real, access, &because);
                        granted = true;
                    }
                }
                if granted || mark == EntryMark::Optional {
                    return Ok(());
                }
            } else if self.repo.starts_with(&path) {
                // The repository's git directories go with it.
                for dir in [&git_file.own, &git_file.common] {
                    self.grant(dir, PathKind::Dir, access, &because);
                }
            }
        }
        match self.host.canonicalize(&path) {
            Ok(real) => self.grant_existing(&real, access, &because),
            Err(_) if mark == EntryMark::Create => {
                self.create_dirs.push(path.clone());
                self.grant(&path, PathKind::Dir, access, &because);
            }
            Err(_) if mark == EntryMark::Optional => {}
            Err(_) => {
                return Err(CompileError::MissingPath {
                    profile: self.name.to_string(),
                    field,
                    entry: entry.to_string(),
                    path,
                });
            }
        }
        Ok(())
    }

    pub(super) fn add_tool(&mut self, entry: &str) -> Result<(), CompileError> {
        let (mark, name) = split_mark(entry);
        let found = self.find(name);
        let Some(real) = found else {
            if mark == EntryMark::Optional {
                return Ok(());
            }
            return Err(CompileError::ToolNotFound {
                profile: self.name.to_string(),
                tool: name.to_string(),
                path_var: self.path_var.clone(),
            });
        };
        self.add_executable(name, &real, &format!("tool `{name}`"), 0)?;
        self.tools.insert(name.to_string(), real);
        Ok(())
    }

    /// Grants the command; returns the path to execute (as found on
    /// `PATH`, symlinks kept) and the file it resolves to.
    pub(super) fn add_command(
        &mut self,
        command: &[String],
    ) -> Result<(PathBuf, PathBuf), CompileError> {
        let program = command.first().ok_or(CompileError::EmptyCommand)?;
        let not_found = || CompileError::CommandNotFound {
            program: program.clone(),
            path_var: self.path_var.clone(),
        };
        let real = self.find(program).ok_or_else(not_found)?;
        let found = match program.contains('/') {
            true => PathBuf::from(program),
            false => self
                .host
                .find_program(program, &self.path_var)
                .ok_or_else(not_found)?,
        };
        self.add_executable(program, &real, "the command", 0)?;
        self.tools
            .entry(program.clone())
            .or_insert_with(|| real.clone());
        Ok((found, real))
    }

    /// Looks a program up (on `PATH` unless it contains a slash) and resolves symlinks.
    fn find(&self, name: &str) -> Option<PathBuf> {
        let candidate = if name.contains('/') {
            PathBuf::from(name)
        } else {
            self.host.find_program(name, &self.path_var)?
        };
        self.host
            .canonicalize(&candidate)
            .ok()
            .filter(|p| !self.host.is_dir(p))
    }

    /// Grants execution of `real` and of what it needs to start.
    fn add_executable(
        &mut self,
        name: &str,
        real: &Path,
        because: &str,
        depth: usize,
    ) -> Result<(), CompileError> {
        self.grant(real, PathKind::File, Access::READ_EXEC, because);
        self.add_package_dirs(real, because);
        for target in packages::wrapper_targets(self.host, name, real) {
            let because = format!("what the wrapper {} runs as {name}", real.display());
            self.add_executable(name, &target, &because, depth + 1)?;
        }
        if depth >= MAX_INTERPRETER_DEPTH {
            return Ok(());
        }
        let head = self
            .host
            .read_head(real, EXEC_HEAD_BYTES)
            .unwrap_or_default();
        match exec_deps::parse(&head) {
            ExecNeeds::Script {
                interpreter,
                env_program,
            } => {
                let missing = || CompileError::InterpreterNotFound {
                    tool: name.to_string(),
                    interpreter: interpreter.clone(),
                };
                let interpreter_real = self
                    .host
                    .canonicalize(Path::new(&interpreter))
                    .map_err(|_| missing())?;
                let because = format!("interpreter of {name}");
                self.add_executable(name, &interpreter_real, &because, depth + 1)?;
                if let Some(program) = env_program {
                    let program_real =
                        self.find(&program)
                            .ok_or_else(|| CompileError::InterpreterNotFound {
                                tool: name.to_string(),
                                interpreter: program.clone(),
                            })?;
                    self.add_executable(name, &program_real, &because, depth + 1)?;
                }
            }
            ExecNeeds::DynamicElf { loader } => {
                if let Ok(loader_real) = self.host.canonicalize(Path::new(&loader)) {
                    self.grant(
                        &loader_real,
                        PathKind::File,
                        Access::READ_EXEC,
                        "dynamic loader",
                    );
                }
            }
            ExecNeeds::Nothing => {}
        }
        Ok(())
    }

    /// A tool inside an npm package may run the package's own files (Claude Code
    /// runs its bundled ripgrep, Codex its native binary); a tool installed as
    /// `PREFIX/bin/NAME` outside the system prefixes (a Rust toolchain, a Node
    /// or Python version) may read and run what its installation keeps in
    /// `PREFIX/lib` and `PREFIX/libexec` (rustc's bundled linker, say).
    fn add_package_dirs(&mut self, real: &Path, because: &str) {
        if let Some(root) = packages::node_package_root(real) {
            self.grant(&root, PathKind::Dir, Access::READ_EXEC, because);
            // The packages it declares (Codex's platform package with its
            // native binary), nested in it or hoisted beside it.
            for dependency in packages::dependencies(self.host, &root) {
                self.grant(
                    &dependency,
                    PathKind::Dir,
                    Access::READ_EXEC,
                    &format!("{because} (a package it depends on)"),
                );
            }
        }
        let prefix = real
            .parent()
            .filter(|bin| bin.ends_with("bin"))
            .and_then(Path::parent);
        if let Some(prefix) = prefix
            && !matches!(prefix.to_str(), Some("/" | "/usr" | "/usr/local"))
        {
            for dir in ["lib", "libexec"] {
                let dir = prefix.join(dir);
                if self.host.is_dir(&dir) {
                    self.grant(&dir, PathKind::Dir, Access::READ_EXEC, because);
                }
            }
            // A Python virtual environment: its interpreter reads this first.
            let venv = prefix.join("pyvenv.cfg");
            if self.host.canonicalize(&venv).is_ok() {
                self.grant(&venv, PathKind::File, Access::READ, because);
            }
        }
    }

    /// Grants `access` on the existing `real` path, a directory or a file.
    fn grant_existing(&mut self, real: &Path, access: Access, because: &str) {
        let kind = match self.host.is_dir(real) {
            true => PathKind::Dir,
            false => PathKind::File,
        };
        self.grant(real, kind, access, because);
    }

    pub(super) fn grant(&mut self, path: &Path, kind: PathKind, access: Access, because: &str) {
        let rule = self
            .filesystem
            .entry(path.to_path_buf())
            .or_insert(PathRule {
                access: Access::default(),
                kind,
                because: BTreeSet::new(),
            });
        rule.access = rule.access.union(access);
        rule.because.insert(because.to_string());
    }

    pub(super) fn unix_sockets(
        &self,
        network: &crate::profile::NetworkSection,
    ) -> Result<UnixSockets, CompileError> {
        let mut files = Vec::new();
        for entry in &network.unix_socket_paths {
            let (mark, text) = split_mark(entry);
            let expanded = self.expand("network.unix_socket_paths", entry, text)?;
            match self.host.canonicalize(Path::new(&expanded)) {
                Ok(real) => files.push(real),
                Err(_) if mark == EntryMark::Optional => {}
                Err(_) => {
                    return Err(CompileError::MissingPath {
                        profile: self.name.to_string(),
                        field: "network.unix_socket_paths",
                        entry: entry.clone(),
                        path: PathBuf::from(expanded),
                    });
                }
            }
        }
        let setting = match network.unix_sockets {
            Some(setting) => setting,
            None if network.unix_socket_paths.is_empty() => UnixSocketSetting::None,
            None => UnixSocketSetting::Listed,
        };
        Ok(match setting {
            UnixSocketSetting::None if !network.unix_socket_paths.is_empty() => {
                return Err(CompileError::Conflict {
                    profile: self.name.to_string(),
                    message: "network.unix_socket_paths is set but network.unix_sockets = \"none\"; use \"listed\"".to_string(),
                });
            }
            UnixSocketSetting::None => UnixSockets::None,
            UnixSocketSetting::Any => UnixSockets::Any,
            UnixSocketSetting::Listed => UnixSockets::Listed {
                within: self
                    .filesystem
                    .iter()
                    .filter(|(_, rule)| rule.access.write && rule.kind == PathKind::Dir)
                    .map(|(path, _)| path.clone())
                    .collect(),
                files,
            },
        })
    }
}
