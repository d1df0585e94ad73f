//! Confirmations on a terminal: answering no to any command's `[y/N]` prompt writes nothing and exits 3 (not 2,
//! which is a refusal), saying so; the real binary in a pseudo-terminal against moto.

mod support;

use support::account::Account;
use support::term::{ENTER, Term};
use support::*;

/// Run `args` on a terminal, answer `answer` to the prompt that ends with `prompt`; the exit code and screen.
fn answer(moto: &Moto, args: &[&str], prompt: &str, answer: &str) -> (u32, String) {
    let mut term = Term::spawn_args(&moto.env(), args);
    term.wait_for(prompt);
    term.send(answer);
    term.send(ENTER);
    let code = term.wait_exit();
    (code, term.screen())
}

#[test]
fn a_cancelled_confirmation_writes_nothing_and_exits_3() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut wrong = Vec::new();
    let mut check = |what: &str, (code, screen): (u32, String), before: &Account| {
        if code != 3 {
            wrong.push(format!("{what}: exit {code}, expected 3"));
        }
        if !screen.contains(&format!("{what} cancelled: nothing was written")) {
            wrong.push(format!("{what}: does not say nothing was written:\n{screen}"));
        }
        let after = Account::read_blocking(moto);
        if after != *before {
            wrong.push(format!("{what}: the account changed: {} -> {}", before.summary(), after.summary()));
        }
    };

    let empty = Account::read_blocking(moto);
    let json = answer(moto, &["apply", "--setup", "postman", "--format", "json"], "Apply these changes? [y/N]", "n");
    let json_says = json.1.contains("\"exit_code\": 3");
    let json_screen = json.1.clone();
    check("apply", json, &empty);

    let applied = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    let key = support::json(&applied)["access_key"]["access_key_id"].as_str().unwrap().to_string();
    let set_up = Account::read_blocking(moto);
    check("destroy", answer(moto, &["destroy", "--setup", "postman"], "Delete these? [y/N]", "n"), &set_up);
    // Enter alone is no, as [y/N] says.
    check("rotate-key", answer(moto, &["rotate-key"], "Create a new access key for PostmanUser? [y/N]", ""), &set_up);
    let retire = ["retire-key", "--key", key.as_str()];
    check("retire-key", answer(moto, &retire, &format!("access key {key} of PostmanUser? [y/N]"), "no"), &set_up);
    assert!(json_says, "apply --format json printed no JSON with exit_code 3:\n{json_screen}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
