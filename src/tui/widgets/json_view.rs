//! Pretty JSON with syntax colours, the values that came from the user highlighted.

use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};
use serde_json::Value;

/// The document as pretty-printed lines.
pub fn lines(doc: &Value, user_values: &[&str], theme: &Theme) -> Vec<Line<'static>> {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    text.lines().map(|l| line(l, user_values, theme)).collect()
}

fn line(src: &str, user_values: &[&str], theme: &Theme) -> Line<'static> {
    let mut spans = Vec::new();
    let mut rest = src;
    while !rest.is_empty() {
        if let Some(start) = rest.find('"') {
            if start > 0 {
                spans.push(Span::styled(rest[..start].to_string(), theme.json_punct()));
            }
            let end = string_end(&rest[start..]).map(|e| start + e).unwrap_or(rest.len());
            let literal = &rest[start..end];
            let is_key = rest[end..].trim_start().starts_with(':');
            if is_key {
                spans.push(Span::styled(literal.to_string(), theme.json_key()));
            } else {
                spans.extend(highlight_values(literal, user_values, theme));
            }
            rest = &rest[end..];
        } else {
            spans.push(Span::styled(rest.to_string(), theme.json_punct()));
            break;
        }
    }
    Line::from(spans)
}

/// Length of the JSON string literal at the start of `s` (which starts with a quote).
fn string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i + 1),
            _ => escaped = false,
        }
    }
    None
}

fn highlight_values(literal: &str, user_values: &[&str], theme: &Theme) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut rest = literal;
    loop {
        let hit = user_values
            .iter()
            .filter(|v| !v.is_empty())
            .filter_map(|v| rest.find(*v).map(|i| (i, v.len())))
            .min_by_key(|(i, len)| (*i, usize::MAX - len));
        match hit {
            Some((i, len)) => {
                if i > 0 {
                    spans.push(Span::styled(rest[..i].to_string(), theme.json_string()));
                }
                spans.push(Span::styled(rest[i..i + len].to_string(), theme.user_value()));
                rest = &rest[i + len..];
            }
            None => {
                if !rest.is_empty() {
                    spans.push(Span::styled(rest.to_string(), theme.json_string()));
                }
                return spans;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_strings_and_user_values_get_their_own_styles() {
        let theme = Theme { color: true };
        let doc = json!({"Resource": "arn:aws:s3:::my-bucket/*"});
        let ls = lines(&doc, &["my-bucket"], &theme);
        let l = &ls[1];
        let styled: Vec<(String, bool)> =
            l.spans.iter().map(|s| (s.content.to_string(), s.style == theme.user_value())).collect();
        assert!(styled.contains(&("my-bucket".to_string(), true)), "{styled:?}");
        assert!(l.spans.iter().any(|s| s.content == "\"Resource\"" && s.style == theme.json_key()));
        let text: String = l.spans.iter().map(|s| s.content.to_string()).collect();
        assert_eq!(text, "  \"Resource\": \"arn:aws:s3:::my-bucket/*\"");
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        assert_eq!(string_end(r#""a\"b" rest"#), Some(6));
    }
}
