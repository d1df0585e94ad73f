//! Wrapping text ourselves, so a screen knows how many rows its content takes (for scrolling) and long values
//! are never broken inside a word when a break at a space exists.

/// Break `text` into rows of at most `width` columns: the first row starts at column 0, the others at
/// `indent` (a hanging indent). Words longer than a row (an ARN) are broken after a `/`, `:` or `,` if
/// possible, else where they must.
pub fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let width = width.max(indent + 8);
    let mut rows = vec![];
    let mut row = String::new();
    let mut row_w = 0;
    for word in split_keep_spaces(text) {
        let w = word.chars().count();
        if row_w + w > width && row_w > indent_of(&rows, indent) {
            let trimmed = row.trim_end().to_string();
            rows.push(trimmed);
            row = " ".repeat(indent);
            row_w = indent;
            if word.trim().is_empty() {
                continue;
            }
        }
        if row_w + w <= width {
            row.push_str(word);
            row_w += w;
            continue;
        }
        // A word longer than the row: break it at a separator where one fits, else at the edge.
        let mut rest: Vec<char> = word.chars().collect();
        while row_w + rest.len() > width {
            let room = width - row_w;
            let cut = rest[..room]
                .iter()
                .rposition(|c| matches!(c, '/' | ':' | ',' | '-'))
                .map(|i| i + 1)
                .filter(|i| *i > room / 3)
                .unwrap_or(room);
            row.extend(&rest[..cut]);
            rows.push(row);
            rest.drain(..cut);
            row = " ".repeat(indent);
            row_w = indent;
        }
        row_w += rest.len();
        row.extend(rest);
    }
    if !row.trim().is_empty() || rows.is_empty() {
        rows.push(row.trim_end().to_string());
    }
    rows
}

fn indent_of(rows: &[String], indent: usize) -> usize {
    if rows.is_empty() { 0 } else { indent }
}

fn split_keep_spaces(text: &str) -> Vec<&str> {
    let mut out = vec![];
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c == ' ';
        match in_space {
            Some(s) if s != space => {
                out.push(&text[start..i]);
                start = i;
            }
            _ => {}
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_with_a_hanging_indent() {
        let rows = wrap("one two three four five six", 12, 2);
        assert_eq!(rows, vec!["one two", "  three four", "  five six"]);
        assert!(rows.iter().all(|r| r.chars().count() <= 12));
    }

    #[test]
    fn a_long_arn_breaks_after_a_separator() {
        let rows = wrap("x arn:aws:iam::210987654321:role/PinpointSegmentImport", 30, 2);
        assert!(rows.iter().all(|r| r.chars().count() <= 30), "{rows:?}");
        assert_eq!(rows.concat().replace(' ', ""), "xarn:aws:iam::210987654321:role/PinpointSegmentImport");
    }
}
