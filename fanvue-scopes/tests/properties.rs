//! Properties of `ScopeSet` and of parsing untrusted scope strings.

use fanvue_scopes::oauth::ProtocolScope;
use fanvue_scopes::{Requirement, Scope, ScopeSet};
use proptest::prelude::*;

fn scope_set() -> impl Strategy<Value = ScopeSet> {
    any::<u64>().prop_map(ScopeSet::from_bits_truncate)
}

/// Known and unknown names, joined by runs of assorted ASCII white space.
fn token_string() -> impl Strategy<Value = (String, Vec<String>)> {
    let known = proptest::sample::select(Scope::ALL.to_vec()).prop_map(|s| s.as_str().to_owned());
    let protocol =
        proptest::sample::select(ProtocolScope::ALL.to_vec()).prop_map(|s| s.as_str().to_owned());
    let unknown = "[!#-\\[\\]-~]{1,12}";
    let name = prop_oneof![3 => known, 1 => protocol, 1 => unknown];
    let gap = "[ \t\r\n]{1,3}";
    proptest::collection::vec((name, gap), 0..24).prop_map(|parts| {
        let names = parts.iter().map(|(name, _)| name.clone()).collect();
        let text = parts
            .iter()
            .map(|(name, gap)| format!("{gap}{name}"))
            .collect();
        (text, names)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn union_and_intersection_are_commutative_and_associative(a in scope_set(), b in scope_set(), c in scope_set()) {
        prop_assert_eq!(a | b, b | a);
        prop_assert_eq!(a & b, b & a);
        prop_assert_eq!((a | b) | c, a | (b | c));
        prop_assert_eq!((a & b) & c, a & (b & c));
    }

    #[test]
    fn intersection_distributes_and_de_morgan_holds(a in scope_set(), b in scope_set(), c in scope_set()) {
        prop_assert_eq!(a & (b | c), (a & b) | (a & c));
        prop_assert_eq!((a | b).complement(), a.complement() & b.complement());
        prop_assert_eq!((a & b).complement(), a.complement() | b.complement());
    }

    #[test]
    fn difference_and_subset_agree(a in scope_set(), b in scope_set()) {
        prop_assert_eq!(a - b, a & b.complement());
        prop_assert!((a | b).contains_all(a));
        prop_assert!(a.contains_all(a & b));
        prop_assert_eq!(a.contains_all(b), (a & b) == b);
        prop_assert_eq!(a.contains_all(b), (b - a).is_empty());
        prop_assert_eq!(a.intersects(b), !(a & b).is_empty());
        prop_assert_eq!((a | b).len() + (a & b).len(), a.len() + b.len());
        prop_assert!(((a - b) & b).is_empty());
    }

    #[test]
    fn iteration_matches_membership(a in scope_set()) {
        let listed: Vec<Scope> = a.iter().collect();
        let expected: Vec<Scope> = Scope::ALL.into_iter().filter(|s| a.contains(*s)).collect();
        prop_assert_eq!(listed.iter().copied().collect::<ScopeSet>(), a);
        prop_assert_eq!(listed, expected);
    }

    #[test]
    fn display_parses_back_strictly_and_leniently(a in scope_set()) {
        let text = a.to_string();
        prop_assert_eq!(text.parse::<ScopeSet>(), Ok(a));
        let lenient = ScopeSet::parse_lenient(&text);
        prop_assert_eq!(lenient.known(), a);
        prop_assert!(!lenient.has_unknown());
    }

    #[test]
    fn lenient_parsing_sorts_every_name_into_known_or_unknown((text, names) in token_string()) {
        let parsed = ScopeSet::parse_lenient(&text);
        let known: ScopeSet = names.iter().filter_map(|n| n.parse::<Scope>().ok()).collect();
        let is_protocol = |name: &str| ProtocolScope::ALL.iter().any(|p| p.as_str() == name);
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| n.parse::<Scope>().is_err() && !is_protocol(n))
            .collect();
        let protocol: Vec<ProtocolScope> = ProtocolScope::ALL
            .into_iter()
            .filter(|p| names.iter().any(|n| n == p.as_str()))
            .collect();
        prop_assert_eq!(parsed.protocol().collect::<Vec<_>>(), protocol);
        prop_assert_eq!(parsed.known(), known);
        prop_assert_eq!(parsed.unknown().collect::<Vec<_>>(), unknown.clone());
        prop_assert_eq!(parsed.has_unknown(), !unknown.is_empty());
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_text(text in any::<String>()) {
        let lenient = ScopeSet::parse_lenient(&text);
        prop_assert!(lenient.unknown().all(|name| text.contains(name)));
        let _ = text.parse::<ScopeSet>();
        let _ = text.parse::<Scope>().map_err(|error| error.to_string());
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let lenient = ScopeSet::parse_lenient(&text);
        prop_assert!(ScopeSet::ALL.contains_all(lenient.known()));
        let _ = lenient.unknown().count();
        let _ = text.parse::<ScopeSet>().map_err(|error| error.to_string());
    }

    #[test]
    fn a_requirement_passes_exactly_the_supersets(all in scope_set(), group in scope_set(), granted in scope_set()) {
        let groups: &'static [ScopeSet] = Box::leak(Box::new([group]));
        let requirement = Requirement::new(all, if group.is_empty() { &[] } else { groups });
        let expected = granted.contains_all(all) && (group.is_empty() || granted.intersects(group));
        prop_assert_eq!(requirement.check(granted).is_ok(), expected);
        if let Err(refused) = requirement.check(granted) {
            prop_assert!(!refused.missing().is_empty());
            prop_assert!(requirement.is_satisfied_by(granted | refused.sufficient()));
        } else {
            prop_assert!(requirement.is_satisfied_by(requirement.least_privilege_given(granted)));
        }
    }
}

#[test]
fn a_one_mebibyte_scope_string_parses() {
    let unit = "read:chat read:unknown\t";
    let text = unit.repeat((1 << 20) / unit.len());
    let parsed = ScopeSet::parse_lenient(&text);
    assert_eq!(parsed.known(), ScopeSet::from_scope(Scope::ReadChat));
    assert_eq!(parsed.unknown().count(), (1 << 20) / unit.len());
    let error = text.parse::<ScopeSet>().unwrap_err().to_string();
    assert!(error.len() < 200, "the error does not echo the whole input");
}

/// A requirement of a few scopes, and up to three `any(..)` groups.
fn requirement() -> impl Strategy<Value = Requirement> {
    let sparse = || {
        proptest::collection::vec(0..Scope::COUNT, 0..3).prop_map(|indices| {
            indices
                .into_iter()
                .fold(ScopeSet::EMPTY, |set, i| set.with(Scope::ALL[i]))
        })
    };
    let group = proptest::collection::vec(0..Scope::COUNT, 1..4).prop_map(|indices| {
        indices
            .into_iter()
            .fold(ScopeSet::EMPTY, |set, i| set.with(Scope::ALL[i]))
    });
    (sparse(), proptest::collection::vec(group, 0..4)).prop_map(|(all, any)| {
        // `Requirement` borrows its groups for `'static`, as generated code's do.
        Requirement::new(all, Vec::leak(any))
    })
}

/// The least privilege by brute force: every one of the 2^15 sets, the
/// smallest that lets every requirement pass, ties to the first in
/// `scopes.toml` order (compared as the lists of their scopes' positions).
fn least_privilege_by_brute_force(requirements: &[Requirement]) -> ScopeSet {
    let positions =
        |set: ScopeSet| -> Vec<usize> { set.iter().map(|scope| scope as usize).collect() };
    (0..1u64 << Scope::COUNT)
        .map(ScopeSet::from_bits_truncate)
        .filter(|set| {
            requirements
                .iter()
                .all(|requirement| requirement.is_satisfied_by(*set))
        })
        .min_by_key(|set| (set.len(), positions(*set)))
        .expect("every scope together satisfies any requirement with no empty group")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn least_privilege_is_the_first_smallest_set_in_any_order(
        requirements in proptest::collection::vec(requirement(), 0..6),
        rotation in 0usize..6,
    ) {
        let expected = least_privilege_by_brute_force(&requirements);
        prop_assert_eq!(fanvue_scopes::least_privilege(&requirements), expected);
        let mut reordered = requirements.clone();
        reordered.reverse();
        if !reordered.is_empty() {
            let by = rotation % reordered.len();
            reordered.rotate_left(by);
        }
        prop_assert_eq!(fanvue_scopes::least_privilege(&reordered), expected);
    }
}

#[test]
fn least_privilege_takes_the_one_scope_that_meets_two_groups() {
    use fanvue_scopes::{least_privilege, scopes};
    static FANS: Requirement =
        Requirement::new(ScopeSet::EMPTY, &[scopes![read:fan, read:creator]]);
    static MEDIA: Requirement =
        Requirement::new(ScopeSet::EMPTY, &[scopes![read:creator, read:media]]);
    assert_eq!(least_privilege([&FANS, &MEDIA]), scopes![read:creator]);
    assert_eq!(least_privilege([&MEDIA, &FANS]), scopes![read:creator]);
}
