//! Layout at 80 columns: ARNs whole, reasons indented, footer keys with their labels.

use super::*;

#[test]
fn arns_are_never_broken_and_reasons_never_wrap_to_column_0_at_80_columns() {
    let mut app = at_summary();
    app.update(Msg::Resize(80, 24));
    for _ in 0..3 {
        app.update(key(KeyCode::PageDown));
    }
    let mut seen = String::new();
    app.update(key(KeyCode::Home));
    for _ in 0..6 {
        seen.push_str(&frame(&app));
        app.update(key(KeyCode::PageDown));
    }
    for role in ["ImporterS3Role", "PinpointSegmentImport", "ImporterPinpointRole"] {
        assert!(seen.contains(&format!("arn:aws:iam::{ACCOUNT}:role/{role}")), "{role} whole:\n{seen}");
    }
    let mut plan = to_plan(at_preview(), |p| {
        p.steps[2].reason =
            "a long reason that does not fit on one line at eighty columns, so it wraps under the name".into();
    });
    plan.update(Msg::Resize(80, 24));
    for line in frame(&plan).lines() {
        let inner = line.trim_start_matches('│');
        assert!(!inner.starts_with("name") && !inner.starts_with("wraps"), "a reason at column 0: {line:?}");
    }
}

#[test]
fn validation_messages_start_at_one_column() {
    let mut app = at_params();
    typed(&mut app, "Bad_Bucket");
    app.update(key(KeyCode::Tab));
    typed(&mut app, "xyz");
    let f = frame(&app);
    let cols: Vec<usize> =
        f.lines().filter_map(|l| l.find('✗').map(|_| l.chars().position(|c| c == '✗').unwrap_or(0))).collect();
    assert!(cols.len() >= 2, "{f}");
    assert!(cols.windows(2).all(|w| w[0] == w[1]), "{cols:?}\n{f}");
    snap("params_invalid_fields", &mut app);
}

#[test]
fn the_footer_never_splits_a_key_from_its_label_at_80_columns() {
    for (name, make) in states() {
        let mut app = make();
        app.update(Msg::Resize(80, 24));
        let f = frame(&app);
        for s in app.shown_keys() {
            let unit = format!("{} {}", s.label, s.does);
            assert!(f.lines().any(|l| l.contains(&unit)), "{name}: {unit:?} split:\n{f}");
        }
    }
}

// Seen (issue 16): status lines were cut at the frame's edge; a long path lost its end.
#[test]
fn a_long_status_message_wraps_instead_of_being_cut() {
    let mut app = at_preview();
    app.update(Msg::Resize(80, 24));
    let dir = "/home/operator/projects/pinpoint/exports/2026-12-06/pinpoint-iam-documents-2/";
    app.update(Msg::Exported(Ok(format!("Wrote 7 documents to {dir}"))));
    let f = render(&app, 80, 24);
    let rows = app.status_rows(80);
    assert!(rows.len() > 1, "wrapped: {rows:?}");
    for r in &rows {
        assert!(f.contains(r.as_str()), "row {r:?} is drawn:\n{f}");
    }
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    let said = format!("Wrote 7 documents to {dir}");
    assert_eq!(squeeze(&rows.concat()), squeeze(&said), "nothing is cut");
}
