use crate::tui::app::{App, SETUP_CHOICES};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

const WHAT: [(&str, &[&str]); 3] = [
    (
        "Postman (test the Pinpoint API)",
        &[
            "policy PostmanAccessPolicy",
            "user PostmanUser, with the policy attached",
            "one access key (the secret is shown once)",
        ],
    ),
    (
        "Segment import (S3 → Pinpoint via Lambda)",
        &[
            "ImporterS3Policy + role ImporterS3Role (Lambda)",
            "ImporterS3PassthroughPolicy + role PinpointSegmentImport (Pinpoint)",
            "ImporterPinpointPolicy + ImporterPinpointRole (Lambda, + the S3 policy)",
        ],
    ),
    ("Both", &[]),
];

pub fn draw(app: &App, frame: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = vec![
        Line::from(Span::styled(
            "Sets up the IAM resources of AWS's Amazon Pinpoint guides: previewed, planned, then applied.",
            theme.text(),
        )),
        Line::raw(""),
        Line::from(Span::styled("What to set up:", theme.title())),
    ];
    for (i, (title, items)) in WHAT.iter().enumerate() {
        let chosen = app.setup_choice == i;
        let mark = if chosen { "(•)" } else { "( )" };
        let style = if chosen { theme.focus() } else { theme.text() };
        lines.push(Line::from(Span::styled(format!(" {mark} {} {title}  [{}]", i + 1, SETUP_CHOICES[i]), style)));
        if chosen {
            // "Both" lists what the two others create.
            let all: Vec<&str> = if items.is_empty() {
                WHAT[..2].iter().flat_map(|(_, i)| i.iter().copied()).collect()
            } else {
                items.to_vec()
            };
            lines.extend(all.iter().map(|t| Line::from(Span::styled(format!("     • {t}"), theme.dim()))));
        }
    }
    lines.extend([
        Line::raw(""),
        Line::from(vec![
            Span::styled("⚠ ", theme.warn()),
            Span::raw("IAM users have long-term credentials, a security risk: give them only the permissions they need, and remove them when no longer needed."),
        ]),
        Line::from(vec![
            Span::styled("ℹ ", theme.warn()),
            Span::raw("AWS ended support for Amazon Pinpoint's console, segments, campaigns and journeys on 2026-10-30; SMS, voice, push and phone-number validation go on under AWS End User Messaging."),
        ]),
    ]);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
