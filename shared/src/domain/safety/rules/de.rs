//! German cues, written from the German rows of data/safety/train.jsonl
//! and common phrasing (Germany, Austria, Switzerland). Prepared text has
//! no umlauts or sharp s: "wurde" for "würde", "ware" for "wäre", "weiss"
//! for "weiß". German puts a negation after the verb and splits verbs
//! ("ich bring mich nicht um"), so rules over a split verb are set aside
//! when their clause has a negation, and patterns that mean a crisis
//! through a negation ("ich will nicht mehr leben", "kein Bock mehr auf
//! Leben") hold it inside the match. "ich" and first-person forms keep
//! "sie will sterben" out; `guards` sets aside the past ("vor Jahren",
//! "damals"), someone else and laughter.

use super::{Rule, rule};
use crate::domain::safety::CrisisCategory::{DangerNow, HarmToOthers, SelfHarm, Suicidal};

/// A negation anywhere in a clause.
const VERNEINT: &str = r"\b(nicht|nich|nie|niemals|kein|keine|keinen|keinem|keiner|nix|nichts)\b";

pub const RULES: &[Rule] = &[
    // --- Suicidal. -------------------------------------------------------------
    rule(
        "de_umbringen",
        Suicidal,
        r"\bbring(e)? (ich )?mich (\w+ ){0,3}um\b|\b(will|werde|mochte|muss|sollte|wurde) mich (\w+ ){0,3}(umbringen|toten)\b|\bmich (umzubringen|zu toten)\b|\bnehme? (ich )?mir (\w+ ){0,3}das leben\b|\bmir das leben (zu )?nehmen\b|\bmein leben (zu )?beenden\b|\bselbstmord (zu )?begehen\b|\b(denke|denk|dachte) (ich )?(\w+ ){0,3}(an|uber) (selbstmord|suizid|den tod|das sterben)\b|\b(suizidgedanken|selbstmordgedanken)\b|\bich bin (so |total |echt )?(suizidal|lebensmude)\b",
        &[
            "es ist entschieden, am wochenende bring ich mich um",
            "ich bring mich heute abend um",
            "wenn alle schlafen, nehme ich mir das leben",
            "ich denke jeden tag an selbstmord",
            "ich habe wieder suizidgedanken",
            "ich will mich umbringen",
            "ich denke darüber nach, mein leben zu beenden",
        ],
    )
    .unless(VERNEINT),
    rule(
        "de_sterben",
        Suicidal,
        r"\bich (will|mochte|wurde gern|wurde lieber|wurde am liebsten) (einfach |nur |lieber |so gern |am liebsten )?(sterben|tot sein)\b|\b(will|mochte) ich (einfach |nur )?(sterben|tot sein)\b|\bdass ich (\w+ )?(sterben|tot sein) (will|mochte)\b|\bfur immer (verschwinden|einschlafen)\b|\b(einschlafen|einzuschlafen) und nicht mehr aufwachen\b",
        &[
            "ich will sterben und trau mich nicht, es jemandem zu sagen",
            "ich will sterben, ganz ehrlich",
            "nichts hat mehr sinn, ich will tot sein",
            "ich will für immer verschwinden",
            "ich möchte einfach einschlafen und nicht mehr aufwachen",
        ],
    )
    .figurative()
    .unless(r"\bsterben vor\b"),
    rule(
        "de_nicht_mehr_leben",
        Suicidal,
        r"\b(ich )?(will|mochte|kann) (einfach |echt |wirklich )?nicht mehr (leben|existieren|da sein|hier sein|aufwachen|weiterleben)\b|\bnicht mehr (leben|existieren|aufwachen|weiterleben) (will|mochte)\b|\bwurde (einfach )?nicht mehr aufwachen\b|\bnie wieder aufwachen\b|\bkein(en)? bock mehr auf (das |mein )?leben\b|\bkeine lust mehr (auf das leben|zu leben|auf leben|auf mein leben)\b|\b(sehe )?keinen sinn mehr (darin |im leben |zu )?(weiterzuleben|weiter zu leben|zu leben|leben)\b|\bsehe keinen sinn mehr\b",
        &[
            "ich will einfach nicht mehr existieren",
            "ich will nicht mehr leben",
            "bin am ende, will nich mehr da sein",
            "ich wünschte, ich würde einfach nicht mehr aufwachen",
            "kb mehr auf leben, ehrlich",
            "ich sehe keinen sinn mehr darin weiterzuleben",
        ],
    )
    .unless(r"\b(leben|wohnen) (mit|bei|in|so|hier)\b|\bnicht mehr (da sein|hier sein) (bis|ab|am|um|fur)\b"),
    rule(
        "de_lebensmude",
        Suicidal,
        r"\b(leid|mude|satt),? (am leben zu sein|zu leben|zu existieren|das leben|vom leben)\b|\b(leben|lebens) (so )?(satt|mude)\b|\bich will,? dass (alles|es) (endlich )?(aufhort|endet|vorbei ist)\b",
        &[
            "ich bin es so leid, am leben zu sein",
            "ich kann nicht mehr, ich will dass alles aufhört",
            "ich bin des lebens so müde",
        ],
    )
    .message(),
    rule(
        "de_ausweg",
        Suicidal,
        r"\b(der tod|sterben|suizid|selbstmord)\b.{0,30}\b(einzige|letzte) (ausweg|losung)\b|\b(einzige|letzte) (ausweg|losung)\b.{0,20}\b(der tod|sterben|suizid|selbstmord|mich umzubringen)\b",
        &[
            "der tod kommt mir wie der einzige ausweg vor",
            "die einzige lösung ist, mich umzubringen",
        ],
    )
    .message(),
    rule(
        "de_ohne_mich",
        Suicidal,
        r"\b(waren|ware|wurden|sind|war) (alle |sie |die )?(viel |so viel )?(besser dran|erleichtert|glucklicher) ohne mich\b|\bohne mich (waren|ware|wurden|sind) (sie |alle |die )?(\w+ )?(besser dran|erleichtert|glucklicher)\b|\bbesser dran ohne (eine|einen) (mutter|vater|tochter|sohn|schwester|bruder) wie mich\b|\bich bin (eine|nur eine|nur) (last|belastung)\b|\bniemand (wurde|wird|wurde es|wird es) (es |mich )?(merken|vermissen|bemerken)\b|\b(einfacher|besser),? wenn ich (nicht mehr da|weg|tot) (ware|war|bin)\b|\bwurde mich (jemand|uberhaupt jemand) vermissen\b",
        &[
            "alle wären besser dran ohne mich",
            "ich bin eine last für meine familie, ohne mich wären sie erleichtert",
            "es wär so viel einfacher, wenn ich nicht mehr da wär",
            "niemand würde es merken, wenn ich weg wäre",
            "meine kinder wären besser dran ohne eine mutter wie mich",
        ],
    )
    .named()
    .message(),
    rule(
        "de_springen",
        Suicidal,
        r"\b(von der|vom|von einer|von einem|aus dem|von dem) (\w+ )?(brucke|balkon|dach|hochhaus|fenster|klippe|parkhaus|turm)\b.{0,20}\b(springen|zu springen|sturzen|zu sturzen)\b|\bvor (den|einen) (zug|lkw|bus)\b.{0,10}\b(werfen|springen|zu werfen|laufen|zu springen)\b|\bich (stehe|steh|bin|sitze|sitz) (gerade |jetzt |grad )?(auf|an) (der|dem) (brucke|dach|gleisen|kante|gelander|dachkante)\b|\bich (werde|will|geh|gehe) (jetzt )?springen\b|\bund (ich )?spring(e)? (jetzt|gleich)\b",
        &[
            "manchmal denke ich daran, vom balkon zu springen",
            "ich stehe gerade auf der brücke",
            "ich bin auf dem dach und springe gleich",
        ],
    )
    .message()
    .unless(VERNEINT),
    rule(
        "de_abschied",
        Suicidal,
        r"\b(das ist )?meine letzte nachricht\b|\bich verabschiede mich\b.{0,30}\b(heute|fur immer|schluss|ende|von allen|von euch)\b|\bheute (ist|wird) schluss\b|\bmorgen bin ich nicht mehr (da|hier)\b|\b(heute nacht|heute abend|heute) (mach|mache|tu|tue) ich es\b|\babschiedsbrief(e)?\b|\bverzeiht mir (alles|bitte)\b|\bmachs gut,? fur immer\b",
        &[
            "das ist meine letzte nachricht, danke für alles",
            "ich verabschiede mich, heute ist schluss",
            "morgen bin ich nicht mehr da",
            "heute nacht mach ich es",
            "der abschiedsbrief ist geschrieben, liegt auf dem schreibtisch",
            "ich habe abschiedsbriefe an meine familie geschrieben",
        ],
    )
    .message()
    .unless(r"\b(urlaub|reise|umzug|fahre|fliege|dienstreise|krankenhaus|kur)\b"),
    rule(
        "de_tabletten",
        Suicidal,
        r"\b(habe|hab) (vor \w+ \w+ |gerade |eben )?(alle|die ganze packung|eine ganze packung|[0-9]+) (meine )?(tabletten|pillen|schlaftabletten|medikamente)\b.{0,20}\b(genommen|geschluckt|eingeworfen)\b|\bwie viele (tabletten|pillen) (man braucht|braucht man|todlich|notig|sind todlich)\b|\b(tabletten|pillen) (liegen )?abgezahlt\b|\b(sammle|horte|spare|bunkere) (seit (\w+ ){1,2})?(tabletten|pillen|medikamente|schlaftabletten)\b",
        &[
            "ich hab vor 20 minuten alle tabletten genommen",
            "die tabletten liegen abgezählt vor mir",
            "ich bunkere seit dem winter schlaftabletten",
            "hab nachgelesen, wie viele pillen tödlich sind",
        ],
    ),
    rule(
        "de_plan",
        Suicidal,
        r"\b(hab|habe) (heute |gestern |mir )?(ein|einen) (seil|strick)\b.{0,10}\b(gekauft|besorgt)\b|\b(verschenkt|weggegeben)\b.{0,40}\bbrauch(e)? (ich )?(es |sie |ihn |das )?(eh |sowieso |dann )?nicht mehr\b|\b(meine katze|meinen hund|meine sachen|all meine sachen|meine ganzen sachen)\b.{0,20}\b(weggegeben|verschenkt)\b|\b(passworter|erspartes|ersparnisse)\b.{0,30}\bgegeben\b|\b(hab|habe) (alles|es) (genau )?(geplant|vorbereitet)\b|\bweiss (schon|genau)?,? ?(wie und wann|wo ich es (machen|tun) (werde|will)|wann ich es (mache|tue|machen werde))\b|\b(brucke|stelle|ort|datum|tag) (schon )?ausgesucht\b|\bein datum (festgelegt|ausgesucht|gewahlt)\b",
        &[
            "ich hab heute ein seil gekauft",
            "ich hab meine gitarre verschenkt, brauch ich eh nicht mehr",
            "ich hab diese woche meine katze und meine sachen weggegeben",
            "ich hab meiner schwester meine passwörter und mein erspartes gegeben",
            "ich hab alles geplant, ich weiß wie und wann",
            "ich hab mir die brücke schon ausgesucht",
            "ich weiß schon, wo ich es machen werde",
            "ich hab ein datum festgelegt, es wird der 14.",
        ],
    )
    .named()
    .message()
    .unless(r"\b(urlaub|reise|hochzeit|umzug|party|feier|prufung|geburtstag|klettern|wasche)\b"),
    rule(
        "de_jetzt",
        Suicidal,
        r"\b(messer|klinge|seil|strick|tabletten|waffe|pistole)\b.{0,40}\b(mach|mache|tu|tue) (ich )?es (jetzt|gleich|heute)\b",
        &["ich hab das messer in der hand und ich mach es jetzt"],
    )
    .message(),
    // --- Self-harm. ----------------------------------------------------------------
    rule(
        "de_ritzen",
        SelfHarm,
        r"\britze mich\b|\bmich (\w+ ){0,4}geritzt\b|\bmich (wieder|selbst|schon wieder|heute wieder) (geschnitten|verletzt|verbrannt)\b|\bhab mich\b.{0,40}\bselbst verletzt\b|\b(verletze|verletz|schneide|schneid|verbrenne|verbrenn) mich (selbst|wieder|mit|an den|am|an der)\b|\bdrang,? mich (selbst )?zu (schneiden|ritzen|verletzen|verbrennen)\b|\bruckfall\b.{0,40}\b(ritzen|schneiden|selbstverletzung)\b|\bdie schnitte werden (immer )?tiefer\b|\bklinge\b.{0,30}\bversteckt\b|\bkratze (meine|mir die) arme (auf )?bis (sie )?blut(en)?\b|\bschlag(e)? (meinen kopf|mir den kopf|den kopf) gegen\b",
        &[
            "hab mich wieder geschnitten, schäm mich so",
            "die schnitte werden immer tiefer",
            "ich hab eine klinge unter meinem bett versteckt",
            "ich hab gerade so starken drang mich zu schneiden",
            "ich hab mich in der schule auf dem klo selbst verletzt",
            "ich kratze meine arme auf bis sie bluten",
            "ich ritze mich an den oberschenkeln, damit es keiner sieht",
            "ich verbrenn mich mit dem feuerzeug, wenn es mir so geht",
            "ich verletze mich selbst und kann nicht aufhören",
            "rückfall nach drei monaten ohne ritzen",
            "ich schlage meinen kopf gegen die wand",
        ],
    )
    .unless(r"\b(nicht mehr|nie wieder|nie mehr)\b"),
    // --- Intent to harm others. ------------------------------------------------------
    rule(
        "de_umbringen_andere",
        HarmToOthers,
        r"\bwenn (sie|er) mich (verlasst|betrugt|verlassen)\b.{0,20}\bbring(e)? ich (sie|ihn) um\b|\bich (will|werde) (ihn|sie|den|die) (\w+ )?(abstechen|erstechen|erschiessen|kaltmachen|vergiften|erwurgen|abknallen)\b|\b(will|werde|mochte) (meinem|meiner|dem|der) (\w+ )?was antun\b.{0,40}\b(wie|schon)\b|\bangst,? (meinem|meiner) (baby|kind|sohn|tochter) (\w+ )?(was|etwas) anzutun\b|\bwarte\b.{0,30}\bmit (einem|einer|meinem|dem) (baseballschlager|messer|schlager|waffe|pistole|knuppel)\b|\b(waffe|pistole|gewehr|messer) (von meinem \w+ |von meiner \w+ )?mit in die (schule|arbeit|uni|klasse|firma)\b|\b(sein|ihr) (haus|auto|wohnung) (anzunden|abfackeln)\b",
        &[
            "wenn sie mich verlässt, bring ich sie um",
            "ich will ihn abstechen und das ist kein witz",
            "ich hab angst, meinem baby was anzutun",
            "ich warte mit einem baseballschläger vor seinem haus",
            "morgen nehm ich die waffe von meinem vater mit in die schule",
            "ich will meinem kollegen was antun, ich hab mir schon überlegt wie",
        ],
    )
    .message(),
    // --- Abuse or danger now. --------------------------------------------------------
    rule(
        "de_schlagt_mich",
        DangerNow,
        r"\b(schlagt|verprugelt|wurgt|vergewaltigt|begrapscht|tritt) mich\b|\bhat mich (gerade |gestern |heute |eben |wieder )?(geschlagen|gewurgt|vergewaltigt|verprugelt|eingesperrt|getreten)\b|\bsperrt mich ein\b|\bfasst mich an,? wenn\b|\bangst,? dass (er|sie) mir (was|etwas) (tut|antut)\b|\bangst,? (nach hause|heim) zu (gehen|kommen)\b|\b(gedroht|droht|drohte),? mich (umzubringen|zu schlagen|zu toten)\b|\b(jemand|ein mann|ein typ|einer) verfolgt mich\b|\b(kontaktverbot|annaherungsverbot)\b|\bhab mich im (bad|zimmer|klo) eingeschlossen\b|\b(wird|will) mich (schlagen|verprugeln) wenn\b",
        &[
            "er hat mich gestern gewürgt, ich hab male am hals",
            "er hämmert gegen die tür und ich hab angst, dass er mir was tut",
            "er sperrt mich ein und hat mir mein handy weggenommen",
            "jemand verfolgt mich und ich bin allein auf der straße",
            "mein ex steht vor meiner wohnung, obwohl er ein kontaktverbot hat",
            "mein freund hat mich gerade geschlagen, ich hab mich im bad eingeschlossen",
            "mein mann hat gedroht mich umzubringen, wenn ich gehe",
            "mein onkel fasst mich an, wenn meine eltern nicht da sind",
            "mein stiefvater schlägt mich wenn er trinkt und er trinkt gerade",
            "ich hab angst, nach hause zu gehen, mein vater schlägt mich",
        ],
    )
    .message()
    .unless(r"\bschlagt mich (im|beim|in)\b"),
];

#[cfg(test)]
mod tests {
    use crate::domain::safety::explain;

    /// German look-alikes, written like the train negatives: idioms,
    /// negations, someone else, the past, talk about the topic.
    #[test]
    fn german_look_alikes_are_not_flagged() {
        let fired: Vec<String> = [
            "ich sterbe vor hunger",
            "ich sterbe vor langeweile in dieser vorlesung",
            "ich lach mich tot",
            "der song ist der hammer, ich sterbe",
            "diese hitze bringt mich um",
            "mein chef bringt mich um, ich bin schon wieder zu spät",
            "die arbeit bringt mich noch ins grab lol",
            "für eine pizza würde ich gerade morden",
            "lol ich bring mich nicht um, ich bin nur genervt von meinem vermieter",
            "ich will nicht sterben, ich bin nur total erschöpft",
            "ich hab keine suizidgedanken, nur megaviel stress",
            "ich denk nie an suizid, eher daran, den job zu wechseln",
            "keine sorge, ich tu mir nichts an, war nur ein scheißtag",
            "ich verletz mich nicht mehr, ich hab letztes jahr alle klingen weggeworfen",
            "ich will nicht mein leben beenden, sondern dieses semester",
            "meine freundin sagt, sie will sterben. wie kann ich ihr helfen?",
            "meine tochter hat in ihr tagebuch geschrieben, dass sie sterben will",
            "mein bruder hat mir erzählt, dass er sich ritzt. was soll ich tun?",
            "ich hab mich in der schulzeit geritzt, aber seit sechs jahren nicht mehr",
            "mein ex hat mich geschlagen, aber jetzt bin ich in sicherheit",
            "wie unterstütze ich einen freund mit suizidgedanken?",
            "ich schreibe einen aufsatz über suizidprävention",
            "was bedeutet \"unalive\" auf tiktok?",
            "im spiel muss mein charakter den drachen töten",
            "ich will nicht mehr bei meinen eltern leben",
            "morgen bin ich nicht mehr da, ich fahre in urlaub",
            "ich hab mich beim kochen geschnitten",
        ]
        .iter()
        .filter(|m| !explain(m).is_empty())
        .map(|m| format!("{m:?} -> {:?}", explain(m)))
        .collect();
        assert!(fired.is_empty(), "false alarms:\n{}", fired.join("\n"));
    }
}
