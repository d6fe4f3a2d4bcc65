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
//! The layers: a keyword baseline, the explicit cues (rules) alone, the
//! fine-tuned classifier alone (`adapters::risk_model`, at the turn
//! threshold it was trained with), and rules ∪ classifier, the in-process
//! screen. The classifier needs the encoder's files (`scripts/setup-encoder`):
//! without them its layers say so and are skipped, unless
//! `HEARTH_REQUIRE_ENCODER=1`.
//!
//! Run: `cargo test -p hearth --test safety_eval -- --nocapture`.

use hearth::adapters::risk_model::RiskClassifier;
use hearth::domain::safety::learned::judge_turn;
use hearth::domain::safety::screen;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Row {
    text: String,
    crisis: bool,
    kind: String,
    #[serde(default)]
    lang: Option<String>,
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

/// A screen under evaluation: which of these messages does it flag?
struct Layer {
    name: &'static str,
    flags: Flags,
}

type Flags = Box<dyn Fn(&[String]) -> Vec<bool>>;

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

/// The classifier, loaded once for every test here; `None` (said) without
/// the encoder's files.
fn classifier() -> Option<&'static RiskClassifier> {
    static MODEL: OnceLock<Option<RiskClassifier>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let encoder = std::env::var_os("HEARTH_ENCODER_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| repo().join(".models/all-minilm-l6-v2"));
            match RiskClassifier::load(&encoder, &repo().join("data/safety/classifier")) {
                Ok(model) => Some(model),
                Err(e) if std::env::var("HEARTH_REQUIRE_ENCODER").as_deref() != Ok("1") => {
                    println!("classifier layers skipped: {e}");
                    None
                }
                Err(e) => panic!("HEARTH_REQUIRE_ENCODER=1 but the classifier did not load: {e}"),
            }
        })
        .as_ref()
}

/// The classifier's flags at its trained turn threshold, in one batch.
fn classifier_flags(model: &RiskClassifier, texts: &[String]) -> Vec<bool> {
    let thresholds = hearth::ports::RiskModel::thresholds(model);
    model
        .assess_blocking(texts)
        .expect("assesses")
        .iter()
        .map(|a| judge_turn(&a.risk, &thresholds).is_some())
        .collect()
}

fn each(f: fn(&str) -> bool) -> Flags {
    Box::new(move |texts| texts.iter().map(|t| f(t)).collect())
}

/// The layers measured: the baseline and the rules always, the classifier
/// and the union when it loads. The last is the whole in-process screen.
fn layers() -> Vec<Layer> {
    let mut layers = vec![
        Layer {
            name: "keyword baseline",
            flags: each(keywords),
        },
        Layer {
            name: RULES,
            flags: each(rules),
        },
    ];
    if let Some(model) = classifier() {
        layers.push(Layer {
            name: CLASSIFIER,
            flags: Box::new(|texts| classifier_flags(model, texts)),
        });
        layers.push(Layer {
            name: UNION,
            flags: Box::new(|texts| {
                classifier_flags(model, texts)
                    .into_iter()
                    .zip(texts)
                    .map(|(c, t)| c || rules(t))
                    .collect()
            }),
        });
    }
    layers
}

const RULES: &str = "explicit cues (rules)";
const CLASSIFIER: &str = "classifier";
const UNION: &str = "rules + classifier";

#[derive(Debug, Default, Clone)]
struct Figures {
    crisis: usize,
    caught: usize,
    lookalikes: usize,
    false_alarms: usize,
    /// Evasion variants of caught crisis messages, and how many were caught.
    variants: usize,
    variants_caught: usize,
    /// Per language (where rows name one): crisis messages caught, of how many.
    by_lang: BTreeMap<String, (usize, usize)>,
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
    let texts: Vec<String> = rows.iter().map(|r| r.text.clone()).collect();
    let flagged = (layer.flags)(&texts);
    let mut f = Figures::default();
    let mut variant_texts = Vec::new();
    for (row, &flagged) in rows.iter().zip(&flagged) {
        let lang = row.lang.clone().unwrap_or_default();
        if row.crisis {
            f.crisis += 1;
            let by_lang = f.by_lang.entry(lang).or_default();
            by_lang.1 += 1;
            if flagged {
                f.caught += 1;
                by_lang.0 += 1;
                variant_texts.extend(variants(&row.text).into_iter().map(|(_, v)| v));
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
    f.variants = variant_texts.len();
    f.variants_caught = (layer.flags)(&variant_texts)
        .into_iter()
        .filter(|&c| c)
        .count();
    f
}

fn report(title: &str, rows: &[Row]) -> Vec<(&'static str, Figures)> {
    println!(
        "\n{title}: {} messages ({} crisis)",
        rows.len(),
        rows.iter().filter(|r| r.crisis).count()
    );
    println!(
        "  {:<24} {:>8} {:>13} {:>14}",
        "layer", "recall", "false alarms", "evasions kept"
    );
    let layers = layers();
    let figures: Vec<(&'static str, Figures)> = layers
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
            (l.name, f)
        })
        .collect();
    if rows.iter().any(|r| r.lang.is_some()) {
        println!("  crisis recall by language:");
        for (name, f) in &figures {
            let langs: Vec<String> = f
                .by_lang
                .iter()
                .map(|(lang, (caught, of))| format!("{lang} {caught}/{of}"))
                .collect();
            println!("    {name:<24} {}", langs.join(", "));
        }
    }
    // Per kind, for the whole in-process screen.
    let combined = layers.last().expect("a layer");
    let texts: Vec<String> = rows.iter().map(|r| r.text.clone()).collect();
    let flagged = (combined.flags)(&texts);
    let mut kinds: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (row, &flagged) in rows.iter().zip(&flagged) {
        let k = kinds.entry(row.kind.as_str()).or_default();
        k.0 += usize::from(flagged);
        k.1 += 1;
    }
    println!("  per kind ({}):", combined.name);
    for (kind, (flagged, of)) in kinds {
        println!("    {kind:<24} {flagged:>3} of {of:>3} flagged");
    }
    if std::env::var_os("HEARTH_EVAL_MISSES").is_some() {
        measure(rows, combined, true);
    }
    figures
}

fn figures_of(figures: &[(&'static str, Figures)], name: &str) -> Option<Figures> {
    figures
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, f)| f.clone())
}

/// Floors just under what a layer reached; the goals are printed.
struct Floors {
    recall: f64,
    max_false_alarms: f64,
    evasion_kept: f64,
}

fn hold(title: &str, f: &Figures, floors: &Floors) {
    println!(
        "  {title}: goals recall >= 0.95 (at {:.3}), false alarms <= 5% (at {:.1}%), every evasion caught (at {:.1}%)",
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
    if let Some(f) = figures_of(&figures, CLASSIFIER) {
        hold(
            "public dev set, classifier alone",
            &f,
            // Reached: recall 0.511, false alarms 10.8%, evasions kept 99.7%
            // (turn threshold 0.838, chosen on a validation fifth of train.jsonl;
            // trained on train.jsonl + train_extra.jsonl. Before train_extra:
            // 0.559, 12.3%, 100.0%).
            &Floors {
                recall: 0.49,
                max_false_alarms: 0.12,
                evasion_kept: 0.99,
            },
        );
    }
    if let Some(f) = figures_of(&figures, UNION) {
        hold(
            "public dev set, rules + classifier",
            &f,
            // Reached: recall 0.774, false alarms 13.7%, evasions kept 100.0%
            // (rules alone 0.575, 3.4%; before train_extra 0.790, 15.2%).
            &Floors {
                recall: 0.75,
                max_false_alarms: 0.15,
                evasion_kept: 0.99,
            },
        );
    }
    hold(
        "public dev set, rules alone",
        &figures_of(&figures, RULES).expect("the rules"),
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
    if let Some(f) = figures_of(&figures, CLASSIFIER) {
        hold(
            "own held-out split, classifier alone",
            &f,
            // Reached: recall 0.576, false alarms 7.7%, evasions kept 99.4%;
            // by language en 53/76, es 6/17, fr 9/17, de 6/17, pt 9/17
            // (before train_extra: 0.549, 7.1%, 99.7%; en 53, es 8, fr 7, de 3, pt 8).
            &Floors {
                recall: 0.55,
                max_false_alarms: 0.09,
                evasion_kept: 0.98,
            },
        );
    }
    if let Some(f) = figures_of(&figures, UNION) {
        hold(
            "own held-out split, rules + classifier",
            &f,
            // Reached: recall 0.778, false alarms 7.7%, evasions kept 99.8%
            // (rules alone 0.569, 1.2%); en 57/76, es 15/17, fr 16/17, de 10/17, pt 14/17
            // (before train_extra: 0.771, 7.7%; en 58, es 15, fr 16, de 9, pt 13).
            &Floors {
                recall: 0.75,
                max_false_alarms: 0.09,
                evasion_kept: 0.98,
            },
        );
    }
    hold(
        "own held-out split, rules alone",
        &figures_of(&figures, RULES).expect("the rules"),
        // Reached: recall 0.222, false alarms 0.0%, evasions kept 100.0%
        // (before issue 14: 0.104, 2.4%, 0.0%).
        &Floors {
            recall: 0.21,
            max_false_alarms: 0.01,
            evasion_kept: 0.99,
        },
    );
}
