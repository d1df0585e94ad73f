//! Pretty JSON with syntax colours, the values that came from the user highlighted.

use crate::setup::findings::{JsonPath, Step};
use crate::tui::theme::Theme;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;

/// The document as pretty-printed lines.
pub fn lines(doc: &Value, user_values: &[&str], theme: &Theme) -> Vec<Line<'static>> {
    pretty(doc).lines().map(|l| line(l, user_values, theme)).collect()
}

/// The document as it is copied or written to a file.
pub fn pretty(doc: &Value) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| doc.to_string())
}

/// The document's lines wrapped at `width`, continuation rows indented under their line, so no value is cut
/// at the panel's edge.
pub fn wrapped(doc: &Value, user_values: &[&str], theme: &Theme, width: usize) -> Vec<Line<'static>> {
    rows(doc, user_values, theme, width, None)
}

/// A place to mark in the document: its lines (as [`locate`] gives them), their style and a sign for the gutter.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub first: usize,
    pub last: usize,
    pub style: Style,
    pub sign: &'static str,
}

/// Like [`wrapped`], with a two-column gutter: a marked line takes its mark's style (the user's values keep
/// theirs) and sign, on every row it wraps to. Where marks overlap the first one given wins: give them most
/// serious first.
pub fn wrapped_marked(
    doc: &Value,
    user_values: &[&str],
    theme: &Theme,
    width: usize,
    marks: &[Mark],
) -> Vec<Line<'static>> {
    rows(doc, user_values, theme, width, Some(marks))
}

/// Where `path` is in the pretty-printed document: its first and last line (from 0), or `None` when the
/// document has no such place. Follows serde_json's pretty layout: a non-empty object or array opens on its
/// own line (or its key's), each member starts a line, and the closing bracket has a line of its own.
pub fn locate(doc: &Value, path: &JsonPath) -> Option<(usize, usize)> {
    let (mut v, mut start) = (doc, 0);
    for step in path.steps() {
        let mut line = start;
        let mut found = None;
        match (step, v) {
            (Step::Key(k), Value::Object(m)) => {
                for (key, member) in m {
                    if key == k {
                        found = Some((member, line + 1));
                        break;
                    }
                    line = last_line(member, line + 1);
                }
            }
            (Step::Index(i), Value::Array(a)) => {
                for (n, member) in a.iter().enumerate() {
                    if n == *i {
                        found = Some((member, line + 1));
                        break;
                    }
                    line = last_line(member, line + 1);
                }
            }
            _ => return None,
        }
        (v, start) = found?;
    }
    Some((start, last_line(v, start)))
}

/// The last line of a value that starts on line `start`.
fn last_line(v: &Value, start: usize) -> usize {
    let members: Box<dyn Iterator<Item = &Value>> = match v {
        Value::Object(m) if !m.is_empty() => Box::new(m.values()),
        Value::Array(a) if !a.is_empty() => Box::new(a.iter()),
        _ => return start,
    };
    members.fold(start, |line, m| last_line(m, line + 1)) + 1
}

fn rows(doc: &Value, user_values: &[&str], theme: &Theme, width: usize, marks: Option<&[Mark]>) -> Vec<Line<'static>> {
    let text = pretty(doc);
    let width = if marks.is_some() { width.saturating_sub(2) } else { width };
    let mut out = vec![];
    for (i, l) in text.lines().enumerate() {
        let mut styled = line(l, user_values, theme);
        let mark = marks.and_then(|ms| ms.iter().find(|m| m.first <= i && i <= m.last));
        if let Some(m) = mark {
            for span in styled.spans.iter_mut().filter(|s| s.style != theme.user_value()) {
                span.style = m.style;
            }
        }
        let gutter = || match (marks, mark) {
            (None, _) => None,
            (Some(_), Some(m)) => Some(Span::styled(format!("{:<2}", m.sign), m.style)),
            (Some(_), None) => Some(Span::raw("  ")),
        };
        let n = l.chars().count();
        if n <= width {
            out.push(Line::from(gutter().into_iter().chain(styled.spans).collect::<Vec<_>>()));
            continue;
        }
        let lead = (l.chars().take_while(|c| *c == ' ').count() + 4).min(width / 2);
        let chars: Vec<char> = l.chars().collect();
        let mut start = 0;
        let mut first = true;
        while start < n {
            let room = if first { width } else { width - lead };
            let end = if n - start <= room {
                n
            } else {
                chars[start..start + room]
                    .iter()
                    .rposition(|c| matches!(c, ' ' | '/' | ':' | ','))
                    .map(|i| start + i + 1)
                    .filter(|e| e - start > room / 3)
                    .unwrap_or(start + room)
            };
            let mut spans: Vec<Span<'static>> = gutter().into_iter().collect();
            if !first {
                spans.push(Span::raw(" ".repeat(lead)));
            }
            spans.extend(slice(&styled, start, end));
            out.push(Line::from(spans));
            start = end;
            first = false;
        }
    }
    out
}

/// The spans of `l` between character offsets `from` and `to`.
fn slice(l: &Line<'static>, from: usize, to: usize) -> Vec<Span<'static>> {
    let mut out = vec![];
    let mut at = 0;
    for s in &l.spans {
        let len = s.content.chars().count();
        let (a, b) = (from.max(at), to.min(at + len));
        if a < b {
            let text: String = s.content.chars().skip(a - at).take(b - a).collect();
            out.push(Span::styled(text, s.style));
        }
        at += len;
    }
    out
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
    fn long_lines_wrap_without_losing_a_character() {
        let theme = Theme { color: true };
        let arn = "arn:aws:mobiletargeting:eu-west-1:210987654321:apps/0123456789abcdef0123456789abcdef/*";
        let doc = json!({"Condition": {"ArnLike": {"aws:SourceArn": arn}}});
        let rows = wrapped(&doc, &[], &theme, 40);
        assert!(rows.iter().all(|r| r.width() <= 40), "{rows:?}");
        let text: String = rows.iter().map(|r| r.to_string().trim().to_string()).collect();
        assert!(text.contains(arn), "{text}");
    }

    #[test]
    fn places_are_found_on_their_pretty_lines() {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:HeadBucket"], "Resource": "*", "Condition": {}},
            {"Effect": "Allow", "Action": "s3:*", "Resource": ["a", "b"]}
        ]});
        let text = pretty(&doc);
        let lines: Vec<&str> = text.lines().collect();
        let at = |p: JsonPath| locate(&doc, &p).map(|(a, b)| lines[a..=b].join("\n").trim().to_string());
        let st = |i| JsonPath::default().key("Statement").index(i);
        assert_eq!(at(st(0).key("Action").index(1)).as_deref(), Some("\"s3:HeadBucket\""));
        assert_eq!(at(st(0).key("Resource")).as_deref(), Some("\"Resource\": \"*\","));
        assert_eq!(at(st(1).key("Action")).as_deref(), Some("\"Action\": \"s3:*\","));
        assert_eq!(at(st(1).key("Resource").index(1)).as_deref(), Some("\"b\""));
        assert_eq!(locate(&doc, &st(1)), Some((12, 19)), "{text}");
        assert_eq!(locate(&doc, &JsonPath::default()), Some((0, lines.len() - 1)));
        assert_eq!(locate(&doc, &st(2)), None);
        assert_eq!(locate(&doc, &st(0).key("Nope")), None);
    }

    #[test]
    fn marked_lines_take_the_style_and_sign_in_a_gutter_even_when_wrapped() {
        let theme = Theme { color: true };
        let doc = json!({"Action": ["s3:GetObject", "s3:HeadBucket"], "Resource": "arn:aws:s3:::my-bucket/a/very/long/key/prefix/*"});
        let red = ratatui::style::Style::new().fg(ratatui::style::Color::Red);
        let marks = [
            Mark { first: 3, last: 3, style: red, sign: "✗" },
            Mark { first: 1, last: 4, style: theme.dim(), sign: "·" },
            Mark { first: 5, last: 5, style: red, sign: "✗" },
        ];
        let rows = wrapped_marked(&doc, &["my-bucket"], &theme, 40, &marks);
        let text: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
        assert_eq!(text[0], "  {");
        assert_eq!(text[3], "✗     \"s3:HeadBucket\"", "the first mark given wins");
        assert!(rows[3].spans[1..].iter().all(|s| s.style == red), "{:?}", rows[3]);
        assert!(text[2].starts_with("· "), "{text:?}");
        let resource: Vec<&Line> = rows.iter().skip(5).take_while(|r| !r.to_string().contains('}')).collect();
        assert!(resource.len() > 1 && resource.iter().all(|r| r.spans[0].content == "✗ "), "{text:?}");
        assert!(rows.iter().all(|r| r.width() <= 40), "{text:?}");
        assert!(
            rows.iter()
                .flat_map(|r| &r.spans)
                .any(|s| s.content.contains("my-bucket") && s.style == theme.user_value()),
            "the user's values keep their style"
        );
    }

    #[test]
    fn escaped_quotes_do_not_end_a_string() {
        assert_eq!(string_end(r#""a\"b" rest"#), Some(6));
    }
}
