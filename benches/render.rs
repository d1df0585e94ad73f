// How long the wizard takes to draw its heaviest frames into ratatui's TestBackend: the preview of the largest
// document, the run screen with every step done, and the plan, at 120×40 (and 80×24, where wrapping is
// heaviest). The target is under 1 ms a frame (BENCHMARKS.md). `cargo bench --bench render`.

#[path = "../tests/wizard/mod.rs"]
mod wizard;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::KeyCode;
use pinpoint_iam_wizard::engine::{Event, Status};
use pinpoint_iam_wizard::tui::app::{App, Msg};
use pinpoint_iam_wizard::tui::theme::Theme;
use pinpoint_iam_wizard::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;
use wizard::{at_plan, at_preview, at_run, key, steps};

/// The preview, moved on to the largest of the documents (by its pretty JSON's length).
fn preview_of_the_largest_document() -> App {
    let mut app = at_preview();
    let sizes: Vec<usize> = app
        .session
        .desired
        .as_ref()
        .map(|d| {
            d.documents().iter().map(|v| serde_json::to_string_pretty(v.document).map_or(0, |s| s.len())).collect()
        })
        .unwrap_or_default();
    let largest = sizes.iter().enumerate().max_by_key(|(_, n)| **n).map_or(0, |(i, _)| i);
    for _ in 0..largest {
        app.update(key(KeyCode::Right));
    }
    app
}

/// The run screen once every step has run.
fn run_with_every_step() -> App {
    let mut app = at_run();
    for i in 0..steps(&app) {
        app.update(Msg::Engine(Event::Started(i)));
        app.update(Msg::Engine(Event::Finished { step: i, status: Status::Created }));
    }
    app
}

fn frames(c: &mut Criterion) {
    let theme = Theme { color: true };
    let states = [
        ("preview of the largest document", preview_of_the_largest_document()),
        ("run with every step", run_with_every_step()),
        ("plan", at_plan()),
    ];
    for (name, mut app) in states {
        for (w, h) in [(120, 40), (80, 24)] {
            app.update(Msg::Resize(w, h));
            let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| panic!("{e}"));
            c.bench_function(&format!("{name} at {w}x{h}"), |b| {
                b.iter(|| {
                    // A full redraw each time: clearing makes the backend write every cell, as on a resize.
                    terminal.clear().unwrap_or_else(|e| panic!("{e}"));
                    terminal.draw(|f| view::draw(black_box(&app), f, &theme)).unwrap_or_else(|e| panic!("{e}"));
                })
            });
        }
    }
}

criterion_group!(benches, frames);
criterion_main!(benches);
