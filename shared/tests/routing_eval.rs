//! The router and crisis screen against the labelled sets in data/routing:
//! `labelled.jsonl` (train and held-out splits) and `fresh.jsonl`, a
//! held-out split written and frozen before the router was tuned against
//! anything new (see data/routing/README.md).
//!
//! Each split prints its accuracy, accuracy per route (recall of the true
//! route) and a confusion table. The tests fail below 95% train accuracy or
//! 100% train crisis recall, below the held-out floors (set a little under
//! what was reached), or above 3% false crisis flags on any split. Every
//! split is routed twice: by the named features alone (`route`, as with no
//! encoder) and by the features with the message's sentence encoding
//! (`route_with`, all-MiniLM-L6-v2 in process). The second needs the
//! encoder's files (scripts/setup-encoder): without them those tests say so
//! and pass, unless `HEARTH_REQUIRE_ENCODER=1`. The goal on the fresh split
//! is 95%; a goal not met is printed, never a failure. Misses
//! are printed with their text for the train split only: a held-out row's
//! text is never shown, so nobody tunes a rule to it.

use hearth::adapters::minilm::{LoadError, MiniLm};
use hearth::adapters::risk_model::RiskClassifier;
use hearth::domain::route::Route;
use hearth::domain::safety::learned::judge_turn;
use hearth::domain::triage::{Decision, route, route_with};
use hearth::ports::RiskModel;
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Deserialize)]
struct Row {
    text: String,
    route: Route,
    kind: String,
    split: String,
}

fn read(file: &str) -> Vec<Row> {
    let path = format!("{}/../data/routing/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid row"))
        .collect()
}

fn rows() -> Vec<Row> {
    read("labelled.jsonl")
}

/// The rows of one split: `train` and `heldout` from labelled.jsonl,
/// `fresh` from fresh.jsonl.
fn split(name: &str) -> Vec<Row> {
    let rows = if name == "fresh" {
        read("fresh.jsonl")
    } else {
        rows()
    };
    rows.into_iter().filter(|r| r.split == name).collect()
}

const ROUTES: [Route; 4] = [
    Route::Support,
    Route::Reasoning,
    Route::Pattern,
    Route::Crisis,
];

fn index(route: Route) -> usize {
    ROUTES
        .iter()
        .position(|r| *r == route)
        .expect("a known route")
}

/// Counts by (true route, routed as).
struct Confusion {
    cells: [[usize; 4]; 4],
}

impl Confusion {
    fn total(&self) -> usize {
        self.cells.iter().flatten().sum()
    }

    fn correct(&self) -> usize {
        (0..4).map(|i| self.cells[i][i]).sum()
    }

    fn accuracy(&self) -> f64 {
        self.correct() as f64 / self.total().max(1) as f64
    }

    fn of(&self, route: Route) -> usize {
        self.cells[index(route)].iter().sum()
    }

    /// Share of the messages whose true route is `route` routed there.
    fn recall(&self, route: Route) -> f64 {
        let i = index(route);
        self.cells[i][i] as f64 / self.of(route).max(1) as f64
    }

    /// Messages of another route flagged as crisis, and how many there are.
    fn false_crisis(&self) -> (usize, usize) {
        let c = index(Route::Crisis);
        let flagged = (0..4).filter(|i| *i != c).map(|i| self.cells[i][c]).sum();
        (flagged, self.total() - self.of(Route::Crisis))
    }

    fn print(&self, title: &str) {
        let (flagged, others) = self.false_crisis();
        println!(
            "{title}: accuracy {:.1}% ({}/{}), false crisis flags {}/{}",
            100.0 * self.accuracy(),
            self.correct(),
            self.total(),
            flagged,
            others
        );
        let per_route: Vec<String> = ROUTES
            .iter()
            .map(|r| {
                let i = index(*r);
                format!(
                    "{} {:.1}% ({}/{})",
                    r.as_str(),
                    100.0 * self.recall(*r),
                    self.cells[i][i],
                    self.of(*r)
                )
            })
            .collect();
        println!("  per route: {}", per_route.join(", "));
        println!(
            "  {:<12}{:>10}{:>10}{:>10}{:>10}",
            "true\\routed", "support", "reasoning", "pattern", "crisis"
        );
        for r in ROUTES {
            let row = &self.cells[index(r)];
            println!(
                "  {:<12}{:>10}{:>10}{:>10}{:>10}",
                r.as_str(),
                row[0],
                row[1],
                row[2],
                row[3]
            );
        }
    }
}

/// Routes every row of a split with `router` and prints the figures. Misses
/// are printed with their text for the train split only.
fn evaluate(
    split_name: &str,
    label: &str,
    rows: &[Row],
    router: impl Fn(usize, &Row) -> Decision,
) -> Confusion {
    let mut confusion = Confusion { cells: [[0; 4]; 4] };
    for (i, row) in rows.iter().enumerate() {
        let d = router(i, row);
        confusion.cells[index(row.route)][index(d.route)] += 1;
        if d.route != row.route && split_name == "train" {
            println!(
                "  miss [{}/{}] got {} {:?}: {}",
                row.route.as_str(),
                row.kind,
                d.route.as_str(),
                d.reasons,
                row.text
            );
        }
    }
    confusion.print(&format!("{split_name}, {label}"));
    confusion
}

fn features_alone(split_name: &str) -> Confusion {
    let rows = split(split_name);
    evaluate(split_name, "named features alone", &rows, |_, r| {
        route(&r.text)
    })
}

fn model_dir() -> PathBuf {
    std::env::var_os("HEARTH_ENCODER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.models/all-minilm-l6-v2")
        })
}

/// The encoder, loaded once; `None` (after saying why) when its files are
/// absent and not required.
fn encoder() -> Option<&'static MiniLm> {
    static LOADED: OnceLock<Option<MiniLm>> = OnceLock::new();
    LOADED
        .get_or_init(|| match MiniLm::load(&model_dir()) {
            Ok(encoder) => Some(encoder),
            Err(e @ LoadError::Missing { .. })
                if std::env::var("HEARTH_REQUIRE_ENCODER").as_deref() != Ok("1") =>
            {
                eprintln!(
                    "skipped the features+encoding evaluation: {e}; HEARTH_REQUIRE_ENCODER=1 makes this a failure"
                );
                None
            }
            Err(e) => panic!("the encoder did not load: {e}"),
        })
        .as_ref()
}

/// The split routed with each message's encoding (of the message as sent),
/// or `None` without the encoder.
fn with_encoding(split_name: &str) -> Option<Confusion> {
    let encoder = encoder()?;
    let rows = split(split_name);
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let vectors = encoder.encode_blocking(&texts).expect("encodes");
    Some(evaluate(
        split_name,
        "named features + encoding",
        &rows,
        |i, r| route_with(&r.text, Some(&vectors[i])),
    ))
}

/// Accuracy on the messages whose true route is not crisis: the part of
/// the routing that is the router's own (crisis is the screen's).
fn non_crisis_accuracy(c: &Confusion) -> (usize, usize) {
    let right = [Route::Support, Route::Reasoning, Route::Pattern]
        .iter()
        .map(|r| c.cells[index(*r)][index(*r)])
        .sum();
    (right, c.total() - c.of(Route::Crisis))
}

/// Prints how far a split is from the 95% goal; never fails.
fn against_goal(c: &Confusion, split_name: &str) {
    let accuracy = c.accuracy();
    let (right, of) = non_crisis_accuracy(c);
    println!(
        "{split_name}: goal 95% {} (accuracy {:.1}%); support/reasoning/pattern alone {:.1}% ({right}/{of}); crisis recall {:.1}% is the crisis screen's",
        if accuracy >= 0.95 { "met" } else { "not met" },
        100.0 * accuracy,
        100.0 * right as f64 / of.max(1) as f64,
        100.0 * c.recall(Route::Crisis),
    );
}

fn check_non_crisis(c: &Confusion, split_name: &str, min: f64) {
    let (right, of) = non_crisis_accuracy(c);
    let accuracy = right as f64 / of.max(1) as f64;
    assert!(
        accuracy >= min,
        "{split_name}: non-crisis accuracy {accuracy:.3} below {min}"
    );
}

fn check(c: &Confusion, split_name: &str, min_accuracy: f64, min_crisis_recall: f64) {
    assert!(c.total() > 0);
    let recall = c.recall(Route::Crisis);
    assert!(
        recall >= min_crisis_recall,
        "{split_name}: crisis recall {recall:.3} below {min_crisis_recall}"
    );
    let (flagged, others) = c.false_crisis();
    assert!(
        flagged * 100 <= others * 3,
        "{split_name}: more than 3% false crisis flags"
    );
    let accuracy = c.accuracy();
    assert!(
        accuracy >= min_accuracy,
        "{split_name}: accuracy {accuracy:.3} below {min_accuracy}"
    );
}

/// The held-out split measures again: the rule phrasings that fired on it
/// and on no train row were removed (issue 14), and the screen's rules
/// were rewritten without reading it. Reached with the rules alone:
/// accuracy 91.8% (56/61), crisis recall 75.0% (12/16), no false flags
/// (it was 98.4% and 100% while those phrasings were in the rules). The
/// floors sit just under; the goal stays 95% and every crisis caught, for
/// the learned layer to close.
#[test]
fn held_out_split_meets_the_bar() {
    check(&features_alone("heldout"), "heldout", 0.91, 0.74);
}

#[test]
fn train_split_meets_the_bar() {
    check(&features_alone("train"), "train", 0.95, 1.0);
}

/// The fresh split with the named features alone, as the router stood
/// when the split was frozen (b4412e0): accuracy 75.4% (181/240); support
/// 100% (98/98), reasoning 67.9% (36/53), pattern 46.4% (26/56), crisis
/// 63.6% (21/33, all misses routed to support), no false flags. Floors
/// just under; the goal is 95%.
#[test]
fn fresh_split_with_named_features_alone() {
    check(&features_alone("fresh"), "fresh", 0.74, 0.62);
}

/// The fresh split with the encoding (471d8ea): accuracy 90.8% (218/240),
/// up from 75.4%; support 92.9% (91/98: 3 to reasoning, 4 to pattern),
/// reasoning 98.1% (52/53), pattern 96.4% (54/56), crisis 63.6% (21/33,
/// the screen's, unchanged). Support, reasoning and pattern together 95.2%
/// (197/207). The 95% goal overall is not met: the crisis messages the
/// screen misses are the gap, and the router does not decide crisis.
/// Floors just under.
#[test]
fn fresh_split_with_named_features_and_encoding() {
    let Some(c) = with_encoding("fresh") else {
        return;
    };
    against_goal(&c, "fresh");
    check(&c, "fresh", 0.89, 0.62);
    check_non_crisis(&c, "fresh", 0.94);
}

/// The old splits with the encoding (471d8ea): held-out 91.8% (56/61) as
/// with the features alone, support 95.0% (19/20), reasoning 100%, pattern
/// 100% (12/12, was 11/12), crisis 75.0% (12/16, the screen's); non-crisis
/// 97.8% (44/45). Train 100% (245/245; the encoding was trained on its
/// non-crisis rows). Floors just under.
#[test]
fn old_splits_with_named_features_and_encoding() {
    let Some(heldout) = with_encoding("heldout") else {
        return;
    };
    against_goal(&heldout, "heldout");
    check(&heldout, "heldout", 0.90, 0.74);
    check_non_crisis(&heldout, "heldout", 0.95);
    let train = with_encoding("train").expect("loaded above");
    check(&train, "train", 0.99, 1.0);
}

fn classifier_dir() -> PathBuf {
    std::env::var_os("HEARTH_CLASSIFIER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/safety/classifier")
        })
}

/// The split routed as a chat turn routes it: the learned layer's one pass
/// gives the vector the router reads and the crisis probabilities its
/// verdict reads; the explicit cues first, then the learned layer's flag,
/// then the router. (The conversation layer needs earlier turns, which
/// these single messages do not have.) `None` without the model's files.
fn with_whole_screen(split_name: &str) -> Option<Confusion> {
    encoder()?;
    let model = match RiskClassifier::load(&model_dir(), &classifier_dir()) {
        Ok(m) => m,
        Err(e) if std::env::var("HEARTH_REQUIRE_ENCODER").as_deref() != Ok("1") => {
            eprintln!("skipped the whole-screen evaluation: {e}");
            return None;
        }
        Err(e) => panic!("the learned layer did not load: {e}"),
    };
    let thresholds = RiskModel::thresholds(&model);
    let rows = split(split_name);
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let assessed = model.assess_blocking(&texts).expect("assesses");
    Some(evaluate(
        split_name,
        "rules + learned layer + features + encoding",
        &rows,
        |i, r| {
            let mut d = route_with(&r.text, Some(&assessed[i].vector));
            if d.route != Route::Crisis && judge_turn(&assessed[i].risk, &thresholds).is_some() {
                d.route = Route::Crisis;
                d.reasons = vec!["classifier"];
            }
            d
        },
    ))
}

/// The fresh split routed by the whole screen and the router, as chat
/// does. Floors just under what it reached (see the README).
#[test]
fn fresh_split_with_the_whole_screen() {
    let Some(c) = with_whole_screen("fresh") else {
        return;
    };
    against_goal(&c, "fresh (whole screen)");
    check_whole(&c, "fresh (whole screen)");
}

/// Floors for the whole-screen rows: reached figures are printed above.
fn check_whole(c: &Confusion, split_name: &str) {
    let (flagged, others) = c.false_crisis();
    println!(
        "{split_name}: accuracy {:.1}%, crisis recall {:.1}%, false crisis flags {flagged}/{others}",
        100.0 * c.accuracy(),
        100.0 * c.recall(Route::Crisis)
    );
    assert!(
        c.accuracy() >= WHOLE_MIN_ACCURACY,
        "{split_name}: accuracy below {WHOLE_MIN_ACCURACY}"
    );
    assert!(
        c.recall(Route::Crisis) >= WHOLE_MIN_CRISIS_RECALL,
        "{split_name}: crisis recall below {WHOLE_MIN_CRISIS_RECALL}"
    );
    assert!(
        flagged as f64 <= WHOLE_MAX_FALSE_CRISIS * others as f64,
        "{split_name}: {flagged} of {others} non-crisis messages flagged as crisis, above {WHOLE_MAX_FALSE_CRISIS}"
    );
}

/// Reached on the fresh split with the classifier trained on train.jsonl +
/// train_extra.jsonl: accuracy 88.3% (212/240), crisis recall 97.0%
/// (32/33, against 63.6% for the rules alone), but 19 of 207 other
/// messages flagged as crisis (9.2%, against none for the rules alone):
/// the learned layer's false alarms on text unlike its training set, which
/// is what keeps this below the router's own 90.8%. (The classifier of
/// 2711245, before train_extra: 87.9%, 97.0%, 18 of 207.) Floors just
/// under, and a ceiling just over the false flags.
const WHOLE_MIN_ACCURACY: f64 = 0.87;
const WHOLE_MIN_CRISIS_RECALL: f64 = 0.96;
const WHOLE_MAX_FALSE_CRISIS: f64 = 0.10;

#[test]
fn the_set_has_what_the_issue_asks_for() {
    let rows = rows();
    assert!(rows.len() >= 300);
    let count = |kind: &str| rows.iter().filter(|r| r.kind == kind).count();
    assert!(count("idiom_or_negation") >= 40);
    assert!(count("indirect") >= 40);
    let held = rows.iter().filter(|r| r.split == "heldout").count();
    assert!(held * 5 >= rows.len() - 5, "a fifth is held out");
    let fresh = split("fresh");
    assert!(
        fresh.len() >= 220,
        "the fresh split has 220 messages or more"
    );
    for route in ROUTES {
        assert!(fresh.iter().any(|r| r.route == route), "{route} in fresh");
    }
}
