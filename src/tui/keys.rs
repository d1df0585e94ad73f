//! Key bindings as data: each screen and overlay lists its bindings in one table, and the same table decides
//! what a key does, what the footer offers and what `?` help shows, so the three cannot drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key, or a class of keys, a binding answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    Ctrl(char),
    /// Printable characters and the line-editing keys (←/→, Home/End, Backspace, Delete, Ctrl-A/E/U/W/K):
    /// what a focused text field takes.
    Text,
}

impl Key {
    pub const fn char(c: char) -> Key {
        Key::Code(KeyCode::Char(c))
    }

    /// Whether `k` is this key.
    pub fn matches(self, k: &KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        match self {
            Key::Ctrl(c) => ctrl && k.code == KeyCode::Char(c),
            Key::Code(KeyCode::Char(c)) => !ctrl && !alt && k.code == KeyCode::Char(c),
            // Shift-Tab arrives as BackTab with SHIFT set; other named keys match whatever the modifiers.
            Key::Code(code) => !ctrl && k.code == code,
            Key::Text => is_text_key(k),
        }
    }
}

/// Whether a text field takes this key (see [`Key::Text`]).
pub fn is_text_key(k: &KeyEvent) -> bool {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Char(c) if ctrl => matches!(c, 'a' | 'e' | 'u' | 'w' | 'k' | 'b' | 'f' | 'h'),
        KeyCode::Char(c) => !c.is_control(),
        KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End | KeyCode::Backspace | KeyCode::Delete => true,
        _ => false,
    }
}

/// One entry of a binding table.
#[derive(Debug, Clone)]
pub struct Binding<A> {
    /// The keys that do it; the first is the one tests press.
    pub keys: Vec<Key>,
    /// How the footer and help name the keys, e.g. `↑/↓`.
    pub label: &'static str,
    /// What it does, in a few words.
    pub does: String,
    pub action: A,
}

impl<A> Binding<A> {
    /// A binding of `keys`, listed as `label` `does`.
    pub fn new(keys: &[Key], label: &'static str, does: impl Into<String>, action: A) -> Self {
        Binding { keys: keys.to_vec(), label, does: does.into(), action }
    }
}

/// The first binding that answers to `k`.
pub fn find<'b, A>(table: &'b [Binding<A>], k: &KeyEvent) -> Option<&'b Binding<A>> {
    table.iter().find(|b| b.keys.iter().any(|key| key.matches(k)))
}

/// A binding as the footer and help show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub label: &'static str,
    pub does: String,
}

/// The entries the footer and help list; a binding with no label is named by the one before it (`↑/↓`).
pub fn shown<A>(table: &[Binding<A>]) -> Vec<Shown> {
    table.iter().filter(|b| !b.label.is_empty()).map(|b| Shown { label: b.label, does: b.does.clone() }).collect()
}

/// Every key of `table` with the footer label it is listed under: a binding without a label is listed under the
/// one before it (`↑/↓`).
pub fn labelled<A>(table: Vec<Binding<A>>) -> Vec<(Vec<Key>, &'static str)> {
    let mut out: Vec<(Vec<Key>, &'static str)> = vec![];
    for b in table {
        let label = if b.label.is_empty() { out.last().map(|(_, l)| *l).unwrap_or("") } else { b.label };
        out.push((b.keys, label));
    }
    out
}

/// Pack the footer's entries into lines of at most `width` columns, never separating a key from its label.
pub fn footer_lines(entries: &[Shown], width: usize) -> Vec<Vec<&Shown>> {
    let mut lines: Vec<Vec<&Shown>> = vec![vec![]];
    let mut used = 0;
    for e in entries {
        let w = unit_width(e);
        if used > 0 && used + w > width {
            lines.push(vec![]);
            used = 0;
        }
        used += w;
        if let Some(last) = lines.last_mut() {
            last.push(e);
        }
    }
    lines
}

/// Columns one footer entry takes: ` key does `.
pub fn unit_width(e: &Shown) -> usize {
    e.label.chars().count() + e.does.chars().count() + 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keys_are_characters_and_line_editing() {
        let k = |code, m| KeyEvent::new(code, m);
        assert!(is_text_key(&k(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(is_text_key(&k(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert!(!is_text_key(&k(KeyCode::Char('c'), KeyModifiers::CONTROL)));
        assert!(!is_text_key(&k(KeyCode::Enter, KeyModifiers::NONE)));
        assert!(Key::char('q').matches(&k(KeyCode::Char('q'), KeyModifiers::NONE)));
        assert!(!Key::char('c').matches(&k(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    }

    #[test]
    fn the_footer_never_splits_a_key_from_its_label() {
        let e = |l: &'static str, d: &str| Shown { label: l, does: d.into() };
        let entries = vec![e("Enter", "apply…"), e("Esc", "back"), e("?", "help"), e("Ctrl-C", "quit")];
        let lines = footer_lines(&entries, 20);
        for line in &lines {
            assert!(line.iter().map(|s| unit_width(s)).sum::<usize>() <= 20);
        }
        assert_eq!(lines.iter().map(Vec::len).sum::<usize>(), 4);
    }
}
