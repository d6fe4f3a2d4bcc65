//! The crisis screen measured on messages nobody here wrote, layer by layer,
//! beside a plain keyword baseline measured in the same run.
//!
//! - `../shared/safety/dev.jsonl`: public crisis and look-alike messages,
//!   read from beside the repository and never copied into it. Where
//!   `../shared` is absent (a newcomer's clone) this evaluation says so and
//!   skips.
//! - `data/safety/heldout.jsonl`: our own split, frozen before any tuning.
//!
//! For each: crisis recall, false alarms on the look-alike kinds, and how
//! many caught crisis messages stay caught when written with zero-width
//! characters, fullwidth letters, Cyrillic look-alikes or leetspeak
//! (generated here). A test fails only below a regression floor set a little
//! under the figures reached; the goals (recall >= 0.95, false alarms <= 5%,
//! every evasion caught) are reported, never a red CI.
//!
//! Run: `cargo test -p hearth --test safety_eval -- --nocapture`.

use hearth::domain::safety::screen;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Deserialize)]
struct Row {
    text: String,
    crisis: bool,
    kind: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &PathBuf) -> Option<Vec<Row>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a valid row"))
            .collect(),
    )
}

/// A screen under evaluation: does it flag this message?
struct Layer {
    name: &'static str,
    flags: fn(&str) -> bool,
}

/// The plain baseline: a keyword list of the kind a first version ships.
fn keywords(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "suicide",
        "suicidal",
        "kill myself",
        "end my life",
        "want to die",
        "self harm",
        "self-harm",
        "cut myself",
        "hurt myself",
        "overdose",
    ];
    let t = text.to_lowercase();
    WORDS.iter().any(|w| t.contains(w))
}

fn rules(text: &str) -> bool {
    screen(text).is_some()
}

const LAYERS: &[Layer] = &[
    Layer {
        name: "keyword baseline",
        flags: keywords,
    },
    Layer {
        name: "explicit cues (rules)",
        flags: rules,
    },
];

/// The layer whose figures the floors hold: the whole in-process screen.
const COMBINED: usize = LAYERS.len() - 1;

#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    crisis: usize,
    caught: usize,
    lookalikes: usize,
    false_alarms: usize,
    /// Evasion variants of caught crisis messages, and how many were caught.
    variants: usize,
    variants_caught: usize,
}

impl Figures {
    fn recall(&self) -> f64 {
        self.caught as f64 / self.crisis.max(1) as f64
    }
    fn false_alarm_rate(&self) -> f64 {
        self.false_alarms as f64 / self.lookalikes.max(1) as f64
    }
    fn evasion_kept(&self) -> f64 {
        self.variants_caught as f64 / self.variants.max(1) as f64
    }
}

/// The ways a person (or a filter-dodger) writes the same words.
fn variants(text: &str) -> Vec<(&'static str, String)> {
    let zero_width: String = text.chars().flat_map(|c| [c, '\u{200B}']).collect();
    let fullwidth: String = text
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c),
            c => c,
        })
        .collect();
    let homoglyph: String = text
        .chars()
        .map(|c| match c {
            'a' => 'а',
            'e' => 'е',
            'o' => 'о',
            'p' => 'р',
            'c' => 'с',
            'x' => 'х',
            'y' => 'у',
            'i' => 'і',
            c => c,
        })
        .collect();
    let leet: String = text
        .chars()
        .map(|c| match c {
            'i' => '1',
            'e' => '3',
            'a' => '4',
            'o' => '0',
            's' => '5',
            c => c,
        })
        .collect();
    vec![
        ("zero-width", zero_width),
        ("fullwidth", fullwidth),
        ("homoglyph", homoglyph),
        ("leetspeak", leet),
    ]
}

fn measure(rows: &[Row], layer: &Layer, print_misses: bool) -> Figures {
    let mut f = Figures::default();
    for row in rows {
        let flagged = (layer.flags)(&row.text);
        if row.crisis {
            f.crisis += 1;
            if flagged {
                f.caught += 1;
                for (_, v) in variants(&row.text) {
                    f.variants += 1;
                    if (layer.flags)(&v) {
                        f.variants_caught += 1;
                    }
                }
            } else if print_misses {
                println!("    missed [{}]: {}", row.kind, row.text);
            }
        } else {
            f.lookalikes += 1;
            if flagged {
                f.false_alarms += 1;
                if print_misses {
                    println!("    false alarm [{}]: {}", row.kind, row.text);
                }
            }
        }
    }
    f
}

fn report(title: &str, rows: &[Row]) -> Vec<Figures> {
    println!(
        "\n{title}: {} messages ({} crisis)",
        rows.len(),
        rows.iter().filter(|r| r.crisis).count()
    );
    println!(
        "  {:<24} {:>8} {:>13} {:>14}",
        "layer", "recall", "false alarms", "evasions kept"
    );
    let figures: Vec<Figures> = LAYERS
        .iter()
        .map(|l| {
            let f = measure(rows, l, false);
            println!(
                "  {:<24} {:>8.3} {:>12.1}% {:>13.1}%",
                l.name,
                f.recall(),
                100.0 * f.false_alarm_rate(),
                100.0 * f.evasion_kept()
            );
            f
        })
        .collect();
    // Per kind, for the combined screen.
    let mut kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    kinds.sort();
    kinds.dedup();
    for kind in kinds {
        let of_kind: Vec<&Row> = rows.iter().filter(|r| r.kind == kind).collect();
        let flagged = of_kind
            .iter()
            .filter(|r| (LAYERS[COMBINED].flags)(&r.text))
            .count();
        println!(
            "    {kind:<24} {flagged:>3} of {:>3} flagged",
            of_kind.len()
        );
    }
    if std::env::var_os("HEARTH_EVAL_MISSES").is_some() {
        measure(rows, &LAYERS[COMBINED], true);
    }
    figures
}

/// Floors just under what the combined screen reached; the goals are printed.
struct Floors {
    recall: f64,
    max_false_alarms: f64,
    evasion_kept: f64,
}

fn hold(title: &str, f: &Figures, floors: &Floors) {
    println!(
        "  goals: recall >= 0.95 (at {:.3}), false alarms <= 5% (at {:.1}%), every evasion caught (at {:.1}%)",
        f.recall(),
        100.0 * f.false_alarm_rate(),
        100.0 * f.evasion_kept()
    );
    assert!(
        f.recall() >= floors.recall,
        "{title}: crisis recall fell to {:.3}, below its floor {}",
        f.recall(),
        floors.recall
    );
    assert!(
        f.false_alarm_rate() <= floors.max_false_alarms,
        "{title}: false alarms rose to {:.3}, above their ceiling {}",
        f.false_alarm_rate(),
        floors.max_false_alarms
    );
    assert!(
        f.evasion_kept() >= floors.evasion_kept,
        "{title}: evasions kept fell to {:.3}, below the floor {}",
        f.evasion_kept(),
        floors.evasion_kept
    );
}

#[test]
fn the_screen_on_public_messages_nobody_here_wrote() {
    let path = repo().join("../shared/safety/dev.jsonl");
    let Some(rows) = read(&path) else {
        println!(
            "skipped: {} is absent (it sits beside the repository; a fresh clone has none)",
            path.display()
        );
        return;
    };
    let figures = report("public dev set (../shared/safety/dev.jsonl)", &rows);
    hold(
        "public dev set",
        &figures[COMBINED],
        // Reached: recall 0.575, false alarms 2.9%, evasions kept 100.0%
        // (before issue 14: 0.516, 5.9%, 0.5%).
        &Floors {
            recall: 0.56,
            max_false_alarms: 0.04,
            evasion_kept: 0.99,
        },
    );
}

#[test]
fn the_screen_on_our_frozen_heldout_split() {
    let rows = read(&repo().join("data/safety/heldout.jsonl")).expect("data/safety/heldout.jsonl");
    let figures = report("own held-out split (data/safety/heldout.jsonl)", &rows);
    hold(
        "own held-out split",
        &figures[COMBINED],
        // Reached: recall 0.222, false alarms 0.0%, evasions kept 100.0%
        // (before issue 14: 0.104, 2.4%, 0.0%).
        &Floors {
            recall: 0.21,
            max_false_alarms: 0.01,
            evasion_kept: 0.99,
        },
    );
}
