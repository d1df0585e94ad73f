//! `/` search in Preview, Plan and Manual mode, as in `less`: type, Enter, matches highlighted, `n`/`N`, Esc.

use super::*;
use ratatui::style::Modifier;

fn search(app: &mut App, query: &str) {
    app.update(ch('/'));
    typed(app, query);
    app.update(key(KeyCode::Enter));
}

/// The rows of the frame (as drawn, with styles) whose cells show `text` in reverse video: a highlight.
fn highlighted(app: &App, text: &str) -> usize {
    let (w, h) = app.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(app, f, &Theme { color: true })).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .filter(|y| {
            let row: Vec<_> = (0..w).map(|x| &buf[(x, *y)]).collect();
            let marked: String =
                row.iter().filter(|c| c.modifier.contains(Modifier::REVERSED)).map(|c| c.symbol()).collect();
            marked.contains(text)
        })
        .count()
}

#[test]
fn preview_search_finds_scrolls_goes_on_and_clears() {
    let mut app = at_preview();
    app.update(Msg::Resize(80, 24));
    let before = frame(&app);
    assert!(app.shown_keys().iter().any(|k| k.label == "/" && k.does == "search"), "the footer lists /");
    app.update(ch('/'));
    assert!(app.typing(), "the query line has the focus");
    typed(&mut app, "least");
    assert!(frame(&app).contains("/least"), "the query is shown as typed");
    app.update(key(KeyCode::Enter));
    let found = frame(&app);
    assert_ne!(found, before);
    assert!(found.contains("/least  match 1 of 1"), "{found}");
    assert!(found.contains("Least privilege"), "the match is scrolled into view:\n{found}");
    assert!(!before.contains("Least privilege"), "it was below the view before:\n{before}");
    assert!(highlighted(&app, "Least") >= 1, "the match is highlighted");
    app.update(key(KeyCode::Esc));
    assert!(!frame(&app).contains("/least"), "Esc clears the search");
    assert_eq!(app.screen, Screen::Preview, "the first Esc clears, it does not go back");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Params);
}

#[test]
fn plan_search_n_and_shift_n_walk_the_matches() {
    let mut app = at_plan();
    search(&mut app, "postmanuser");
    let f = frame(&app);
    assert!(f.contains("/postmanuser  match 1 of 3"), "{f}");
    assert!(highlighted(&app, "PostmanUser") >= 3, "every occurrence on screen is highlighted:\n{f}");
    app.update(ch('n'));
    assert!(frame(&app).contains("match 2 of 3"));
    app.update(ch('N'));
    app.update(ch('N'));
    assert!(frame(&app).contains("match 3 of 3"), "N goes round backwards");
    assert!(!writes(&app.update(ch('n'))), "n is the next match here, not a new key");
    assert!(app.overlay.is_none());
}

#[test]
fn manual_search_takes_q_as_a_letter_and_esc_cancels_the_query() {
    let mut app = at_manual();
    app.update(ch('/'));
    typed(&mut app, "q");
    assert!(!app.should_quit && app.overlay.is_none(), "q is part of the query");
    assert!(frame(&app).contains("/q"));
    app.update(key(KeyCode::Esc));
    assert!(!app.typing());
    assert!(!frame(&app).contains("/q"), "Esc on the query line cancels it");
    assert_eq!(app.screen, Screen::Manual);
    search(&mut app, "name to type");
    assert!(frame(&app).contains("match 1 of 1"), "{}", frame(&app));
    assert!(highlighted(&app, "Name to type") == 1);
}

#[test]
fn help_lists_the_search_keys() {
    let mut app = at_plan();
    search(&mut app, "role");
    app.update(ch('?'));
    let f = frame(&app);
    assert!(f.contains("search") && f.contains("next/previous match") && f.contains("clear search"), "{f}");
}
