//! A station at the desk: the sample station with its deputies (and,
//! when asked, the sample appeals), a private HOME, and the real kiosk
//! signed in on it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use super::cli;
use super::pty::{self, Pty, Size};

const T: Duration = Duration::from_secs(10);

pub struct Desk {
    _tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub home: PathBuf,
}

impl Desk {
    /// A private HOME and a data directory not set up yet.
    pub fn empty() -> Desk {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Desk {
            _tmp: tmp,
            data,
            home,
        }
    }

    pub fn new(with_appeals: bool) -> Desk {
        let desk = Desk::empty();
        let data = &desk.data;
        cli::expect(
            data,
            &["init", "--station", cli::path(&cli::sample("station.toml"))],
            0,
        );
        cli::expect(
            data,
            &["import", "deputies", cli::path(&cli::sample("deputies.csv"))],
            0,
        );
        if with_appeals {
            cli::expect(
                data,
                &["import", "appeals", cli::path(&cli::sample("appeals.csv"))],
                0,
            );
        }
        desk
    }

    /// Runs a plain (non-terminal) command on the data directory, from
    /// the project's folder, in the environment the kiosk gets.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(pty::bin())
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .envs(pty::child_env(&self.home))
            .output()
            .expect("run jiedai")
    }

    /// The kiosk with `extra` arguments, at its sign-in screen.
    pub fn open(&self, extra: &[&str], size: Size) -> Pty {
        let mut args = vec!["--data", cli::path(&self.data)];
        args.extend_from_slice(extra);
        Pty::spawn(&args, size, &self.home)
    }

    /// `open`, then signed in as the first person (no PIN).
    pub fn open_signed_in(&self, extra: &[&str], size: Size) -> Pty {
        let p = self.open(extra, size);
        p.sign_in(T);
        p
    }

    /// The kiosk on this station, signed in.
    pub fn kiosk(&self, size: Size) -> Pty {
        self.kiosk_env(size, &[])
    }

    /// `kiosk` with more environment variables.
    pub fn kiosk_env(&self, size: Size, env: &[(&str, &str)]) -> Pty {
        let p = Pty::spawn_env(&["--data", cli::path(&self.data)], size, &self.home, env);
        p.sign_in(T);
        p
    }

    /// What `find --json` prints for `query`.
    pub fn find_json(&self, query: &str) -> String {
        cli::printed(&cli::expect(&self.data, &["find", "--json", query], 0))
    }

    /// Points the station's receipt printer at `target`, with its own time
    /// limit when one is given.
    pub fn use_printer(&self, target: &str, timeout_ms: Option<u64>) {
        let terminal = self.data.join("terminal.toml");
        let mut config = std::fs::read_to_string(&terminal).unwrap();
        config.push_str(&format!("\n[printer]\ntarget = \"{target}\"\n"));
        if let Some(ms) = timeout_ms {
            config.push_str(&format!("timeout_ms = {ms}\n"));
        }
        std::fs::write(&terminal, config).unwrap();
    }
}
