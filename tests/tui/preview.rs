//! The preview shows every character, its findings and the tightened documents.

use super::*;

#[test]
fn preview_wraps_long_values_hides_findings_when_narrow_and_copies_or_writes_documents() {
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    for _ in 0..9 {
        app.update(key(KeyCode::Tab));
    }
    app.update(ch(' '));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    app.update(Msg::Resize(80, 24));
    let arn = format!("arn:aws:mobiletargeting:eu-west-1:{ACCOUNT}:apps/{PROJECT}");
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    let text = frame(&app);
    let joined: String = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' ' || c == '"' || c == ','))
        .collect::<Vec<_>>()
        .concat();
    assert!(joined.contains(&arn), "the hardened trust's SourceArn is whole at 80×24:\n{text}");
    assert!(!text.contains("Least privilege"), "no findings panel cut to 30 columns at 80");
    snap("preview_pinpoint_trust_hardened", &mut app);
    let cmds = app.update(ch('c'));
    assert!(matches!(&cmds[..], [Cmd::Copy { what: Copied::Document { title, json } }]
        if title == "PinpointSegmentImport trust" && json.contains(&arn)));
    // `w` writes the same layout as `export --as documents` (one file per document and its README).
    let cmds = app.update(ch('w'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Export { format: pinpoint_iam_wizard::export::ExportFormat::Documents, .. }]),
        "{cmds:?}"
    );
    app.update(Msg::Exported(Ok("Exported as documents: ./pinpoint-iam-export-documents (8 file(s))".into())));
    assert!(frame(&app).contains("Exported as documents"));
    app.update(Msg::Resize(120, 40));
    assert!(frame(&app).contains("Least privilege"), "beside the document when wide");
}

/// The frame's buffer at the app's size.
fn buffer(app: &App) -> ratatui::buffer::Buffer {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(app, f, &Theme { color: true })).unwrap();
    t.backend().buffer().clone()
}

/// The frame's text with runs of white space and box edges collapsed, to find wrapped sentences.
fn flat(app: &App) -> String {
    frame(app).replace(['│', '"'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_preview_marks_where_each_finding_is_and_access_analyzer_joins_in_the_background() {
    use pinpoint_iam_wizard::aws::analyzer::Analysis;
    use pinpoint_iam_wizard::setup::findings::{Finding, JsonPath, Severity, Source};
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    let (id, desired) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Validate { id, desired } => Some((*id, desired.clone())),
            _ => None,
        })
        .expect("IAM Access Analyzer is asked when the preview opens with working credentials");
    assert_eq!(desired.documents().len(), 7);
    app.update(Msg::Resize(80, 24));
    app.update(key(KeyCode::Right));
    assert!(frame(&app).contains("ImporterS3Policy"));
    // Scroll to the guide's `s3:HeadBucket`: its line carries the error's sign and colour.
    let mut found = None;
    for _ in 0..40 {
        let buf = buffer(&app);
        let row = (0..24)
            .find(|y| (0..80).map(|x| buf[(x, *y)].symbol().to_string()).collect::<String>().contains("s3:HeadBucket"));
        if let Some(y) = row {
            found = Some((buf, y));
            break;
        }
        app.update(key(KeyCode::Down));
    }
    let (buf, y) = found.expect("the HeadBucket line is in the document");
    let line: String = (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect();
    assert!(line.starts_with("│✗ "), "the gutter marks the error: {line:?}");
    let at = line.chars().position(|c| c == 's').unwrap() as u16;
    assert_eq!(buf[(at, y)].fg, ratatui::style::Color::Red, "the line takes the error's colour: {line:?}");
    let other = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>())
        .find(|l| l.contains("s3:ListAllMyBuckets"))
        .unwrap();
    assert!(other.starts_with("│  "), "unmarked lines keep an empty gutter: {other:?}");
    // Under the document: every finding with its place and words; Access Analyzer still being asked.
    app.update(key(KeyCode::End));
    let text = flat(&app);
    assert!(text.contains("✗ error · Statement[2].Action[2]"), "{text}");
    assert!(
        text.contains(
            "VisualEditor2: s3:HeadBucket is not an IAM action; the HeadBucket operation is authorized by s3:ListBucket"
        ),
        "{text}"
    );
    assert!(text.contains("IAM Access Analyzer: checking the documents…"), "{text}");
    // An answer to another request is dropped; the awaited one joins this tool's findings, marked as its own.
    let theirs = Finding {
        severity: Severity::Error,
        message: "INVALID_ACTION: The action s3:HeadBucket does not exist.".into(),
        path: JsonPath::default().key("Statement").index(2).key("Action").index(2),
        source: Source::AccessAnalyzer,
    };
    let mut lists = vec![vec![]; 7];
    lists[1] = vec![theirs];
    app.update(Msg::Validated { id: id + 1000, analysis: Box::new(Analysis::NotConsulted("stale".into())) });
    assert!(flat(&app).contains("checking the documents"));
    app.update(Msg::Validated { id, analysis: Box::new(Analysis::Consulted(lists)) });
    app.update(key(KeyCode::End));
    let text = flat(&app);
    assert!(text.contains("✗ error · Statement[2].Action[2] · IAM Access Analyzer"), "{text}");
    assert!(text.contains("INVALID_ACTION: The action s3:HeadBucket does not exist."), "{text}");
    // Back and forward with the same documents: not asked again.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Params);
    let again = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    assert!(!again.iter().any(|c| matches!(c, Cmd::Validate { .. })), "{again:?}");

    // Denied (or an endpoint without it): one quiet line, this tool's findings stand.
    let mut app = at_preview();
    let id = match app.session.analysis {
        Remote::Pending(id) => id,
        ref other => panic!("{other:?}"),
    };
    app.update(Msg::Validated {
        id,
        analysis: Box::new(Analysis::NotConsulted("the caller may not call access-analyzer:ValidatePolicy".into())),
    });
    app.update(Msg::Resize(80, 24));
    app.update(key(KeyCode::End));
    let text = flat(&app);
    assert!(
        text.contains("IAM Access Analyzer was not consulted: the caller may not call access-analyzer:ValidatePolicy; the findings above are this tool's own"),
        "{text}"
    );
}

#[test]
fn t_on_the_preview_shows_tightened_documents_against_the_guides_and_the_plan_says_so() {
    let mut app = at_preview();
    app.update(Msg::Resize(120, 40));
    // Lines of the document panel, without the borders.
    let rows = |app: &App| -> Vec<String> {
        frame(app).lines().map(|l| l.trim_matches('"').trim_start_matches('│').to_string()).collect()
    };
    let wildcard = format!("\"arn:aws:mobiletargeting:*:{ACCOUNT}:apps/*\"");
    let regional = format!("\"arn:aws:mobiletargeting:eu-west-1:{ACCOUNT}:apps/*\"");
    let guide = rows(&app);
    // Past the findings' gutter (the guide's ARN is marked: every Region).
    let past_gutter = |r: &String| r.trim_start_matches([' ', '✗', '▲', '!', '·']).starts_with(&wildcard);
    assert!(guide.iter().any(past_gutter), "{guide:#?}");
    assert!(!guide.iter().any(|r| r.contains("the guide's")));
    assert!(frame(&app).contains("t tightened documents"), "the footer offers it");

    app.update(ch('t'));
    let tight = rows(&app);
    assert!(tight.iter().any(|r| r.starts_with("- the guide's  + tightened (written)")), "{tight:#?}");
    let signed = |sign: &str, text: &str| tight.iter().any(|r| r.starts_with(sign) && r.contains(text));
    assert!(signed("- ", &wildcard), "the guide's line is marked -: {tight:#?}");
    assert!(signed("+ ", &regional), "the tightened line is marked +: {tight:#?}");
    assert!(signed("  ", "\"Version\": \"2012-10-17\""), "the lines both share are kept: {tight:#?}");
    assert!(frame(&app).contains("t guides' documents"));
    snap("preview_tightened", &mut app);

    // The trust Lambda's roles keep is the guide's: shown as it is, no diff.
    for _ in 0..4 {
        app.update(key(KeyCode::Right));
    }
    assert!(frame(&app).contains("ImporterS3Role trust"));
    assert!(!frame(&app).contains("+ tightened (written)"), "{}", frame(&app));

    let (id, params) = plan_id(&app.update(key(KeyCode::Enter)));
    assert!(params.tighten);
    app.update(Msg::Planned { id, result: Box::new(Ok(checked_plan(&params))) });
    assert!(frame(&app).contains(&format!("Account {ACCOUNT}, Region eu-west-1, tightened documents.")));

    // Back, and t again: the guides' documents exactly, and a plan of them.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Preview);
    app.update(ch('t'));
    assert!(!frame(&app).contains("+ tightened (written)"));
    let (_, params) = plan_id(&app.update(key(KeyCode::Enter)));
    assert!(!params.tighten);
}

#[test]
fn at_120_columns_the_tightened_trusts_arn_is_whole_on_one_row_with_the_facts_under_it() {
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    app.update(Msg::Resize(120, 40));
    app.update(ch('t'));
    while !frame(&app).lines().nth(2).is_some_and(|tabs| tabs.contains("PinpointSegmentImport trust ›")) {
        app.update(key(KeyCode::Right));
    }
    let arn = format!("\"arn:aws:mobiletargeting:eu-west-1:{ACCOUNT}:apps/{PROJECT}\"");
    let text = frame(&app);
    assert!(text.contains("+ tightened (written)"), "the tightened trust, as a diff:\n{text}");
    assert!(text.lines().any(|l| l.contains(&arn)), "the SourceArn whole on one row:\n{text}");
    let facts = text.lines().position(|l| l.contains("/ 2048 chars")).expect("the size is shown");
    let arn_row = text.lines().position(|l| l.contains(&arn)).unwrap_or(usize::MAX);
    assert!(facts > arn_row, "the side panel's facts go under the document:\n{text}");
    // A document whose words fit keeps the panel beside it.
    app.update(key(KeyCode::Left));
    let text = frame(&app);
    assert!(text.lines().any(|l| l.contains("{") && l.contains("/ 2048 chars")), "beside:\n{text}");
}
