//! `zhengxin init`, `user …` and `token …`: accounts from the command
//! line. Passwords come from standard input or a prompt without echo,
//! never from the command line.

use super::{TokenCommand, UserCommand, actor};
use crate::auth;
use crate::db::Db;

/// The three administrators (三员) of a database with no users: system,
/// security and audit, in that order, each with its own password (three
/// lines on standard input when it is not a terminal, else prompted).
pub async fn init(url: &str, names: [&str; 3]) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    crate::upkeep::prepare(&db).await?;
    let users = auth::users::count(&db).await?;
    anyhow::ensure!(users == 0, "this database is already set up ({users} user(s)); manage accounts with `zhengxin user`");
    let roles = [auth::Role::SystemAdmin, auth::Role::SecurityAdmin, auth::Role::AuditAdmin];
    anyhow::ensure!(
        names[0] != names[1] && names[1] != names[2] && names[0] != names[2],
        "the three administrators need three accounts: one person's account must not hold two of the duties"
    );
    let mut passwords = Vec::new();
    for (name, role) in names.iter().zip(roles) {
        eprintln!("{} {name}: choose a password of at least {} characters", role.label_en().to_lowercase(), auth::passwords::MIN_LENGTH);
        passwords.push(read_password()?);
    }
    let accounts: Vec<auth::users::NewUser> =
        names.iter().zip(roles).zip(&passwords).map(|((username, role), password)| auth::users::NewUser { username, role, unit_code: None, password }).collect();
    auth::users::add_all(&db, &accounts, &actor()).await.map_err(said)?;
    println!(
        "initialised {}: system administrator {}, security administrator {}, audit administrator {} created; no demo data will be loaded",
        crate::db::redact(url),
        names[0],
        names[1],
        names[2]
    );
    if let Some(key) = db.audit_key() {
        println!("the audit chain is keyed with {}: back it up now, apart from the database backups (RELIABILITY.md)", key.display());
    }
    if let Some(key) = db.data_key() {
        println!(
            "person references and other personal data are sealed with {} ({}): back it up now, apart from the database backups; without it they cannot be read",
            key.display(),
            db.sealer()?.cipher().code()
        );
    }
    println!("next: zhengxin serve --bind ADDR:PORT, sign in as {}, add users on /admin/users, import data", names[0]);
    Ok(true)
}

pub async fn user(url: &str, command: UserCommand) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    match command {
        UserCommand::Add { username, role, unit } => {
            let password = read_password()?;
            auth::users::add(&db, &username, role, unit.as_deref(), &password, &actor()).await.map_err(said)?;
            println!("user {username} added ({})", role.code());
        }
        UserCommand::Passwd { username } => {
            let password = read_password()?;
            auth::users::set_password(&db, &username, &password, &actor()).await.map_err(said)?;
            println!("password of {username} changed");
        }
        UserCommand::Totp { username, json } => {
            let (enrolment, codes) = auth::totp::enrol_now(&db, &username, &actor()).await.map_err(said)?;
            if json {
                println!("{}", serde_json::json!({ "uri": enrolment.uri, "recovery_codes": codes }));
            } else {
                // The URI alone on stdout (for a QR tool); the rest on stderr.
                println!("{}", enrolment.uri);
                eprintln!("two-factor sign-in of {username} set up; shown once. Recovery codes (each works once):");
                for code in codes {
                    eprintln!("  {code}");
                }
            }
        }
        UserCommand::TotpReset { username } => {
            auth::totp::reset(&db, &username, &actor()).await.map_err(said)?;
            println!("two-factor sign-in of {username} removed");
        }
        UserCommand::Disable { username } => {
            auth::users::disable(&db, &username, &actor()).await.map_err(said)?;
            println!("user {username} disabled");
        }
        UserCommand::Enable { username } => {
            auth::users::enable(&db, &username, &actor()).await.map_err(said)?;
            println!("user {username} enabled");
        }
        UserCommand::List { json } => {
            let users = auth::users::list(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "users": users }))?);
            } else {
                for u in users {
                    let state = if u.disabled { "disabled" } else { "active" };
                    println!("{:<24} {:<9} {:<12} {state}", u.username, u.role.code(), u.unit_code.unwrap_or_default());
                }
            }
        }
    }
    Ok(true)
}

pub async fn token(url: &str, command: TokenCommand) -> anyhow::Result<bool> {
    let db = Db::connect(url).await?;
    match command {
        TokenCommand::Create { username, name, expires } => {
            let expires_at = expires.at(crate::clock::now_cst());
            let t = auth::tokens::create(&db, &username, &name, expires_at, &actor()).await.map_err(said)?;
            eprintln!("token {} for {username}, valid until {expires_at}: shown once, keep it safe", t.id);
            println!("{}", t.token);
        }
        TokenCommand::List { json } => print_tokens(&auth::tokens::list(&db).await?, json)?,
        TokenCommand::Revoke { id } => {
            auth::tokens::revoke(&db, id, &actor()).await.map_err(said)?;
            println!("token {id} revoked");
        }
    }
    Ok(true)
}

fn print_tokens(tokens: &[auth::tokens::TokenInfo], json: bool) -> anyhow::Result<()> {
    let now = crate::clock::now_cst();
    if json {
        let list: Vec<serde_json::Value> = tokens
            .iter()
            .map(|t| {
                let mut v = serde_json::to_value(t).expect("serialisable");
                v["live"] = t.live(now).into();
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "tokens": list }))?);
        return Ok(());
    }
    println!("{:>4}  {:<20} {:<20} {:<19}  {:<19}  {:<19}  state", "id", "owner", "label", "created", "last used", "expires");
    for t in tokens {
        let state = match () {
            _ if t.revoked_at.is_some() => "revoked",
            _ if t.owner_disabled => "owner disabled",
            _ if t.expires_at <= now => "expired",
            _ => "live",
        };
        let used = t.last_used_at.map_or("never".to_string(), |d| d.to_string());
        println!("{:>4}  {:<20} {:<20} {:<19}  {:<19}  {:<19}  {state}", t.id, t.owner, t.name, t.created_at, used, t.expires_at);
    }
    Ok(())
}

/// A new password: one line from standard input when it is not a terminal,
/// else typed twice at a prompt without echo.
fn read_password() -> anyhow::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let prompt = |label: &str| -> anyhow::Result<String> {
        eprint!("{label}");
        std::io::stderr().flush()?;
        let _quiet = EchoOff::new();
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        eprintln!();
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = prompt("新密码 / new password: ")?;
    let second = prompt("再次输入 / repeat: ")?;
    anyhow::ensure!(first == second, "the two passwords differ");
    Ok(first)
}

/// Turns terminal echo off while it lives.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: termios is plain data; tcgetattr fills it or fails, and
        // only a filled one is used.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut t) != 0 {
                return EchoOff(None);
            }
            let saved = t;
            t.c_lflag &= !libc::ECHO;
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t);
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &saved);
            }
        }
    }
}

/// An account or token error as the command line says it: a refusal in
/// both languages as the users page says it (`wording::account`), a unit's
/// with the flag that names it.
fn said(e: auth::AuthError) -> anyhow::Error {
    match e {
        auth::AuthError::Refused(auth::Refusal::UnitNeeded) => anyhow::anyhow!("单位用户须指定所属单位 / a unit user needs --unit UNIT_CODE"),
        auth::AuthError::Refused(r) => anyhow::anyhow!(crate::wording::account(&r)),
        other => other.into(),
    }
}
