//! An org's office hours: a time zone and weekly ranges (`mon-fri 09:00-17:00`), and whether they are open at an
//! instant. Computed in the org's zone with `jiff` and its bundled time-zone database, so a summer-time change moves
//! the hours with the clocks and the answer does not depend on the host's `/usr/share/zoneinfo`.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Why office hours were refused: the sentence completes "office hours: …".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidOfficeHours(String);

/// Most ranges an org may write (a range per day and then some).
pub const MAX_RANGES: usize = 21;

/// Office hours as stored (`orgs.office_hours`, JSON) and as `org update` takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeHoursSpec {
    pub time_zone: String,
    pub weekly: Vec<String>,
}

/// Parsed office hours: every range known good.
#[derive(Debug, Clone)]
pub struct OfficeHours {
    zone: TimeZone,
    spec: OfficeHoursSpec,
    /// (day, opening minute, closing minute) with opening < closing ≤ 24 × 60.
    ranges: Vec<(Weekday, u16, u16)>,
}

/// Whether the team is in at an instant, and when that changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeHoursAt {
    pub open: bool,
    pub next_open_at: Option<Timestamp>,
    pub next_close_at: Option<Timestamp>,
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

impl OfficeHours {
    pub fn parse(spec: &OfficeHoursSpec) -> Result<Self, InvalidOfficeHours> {
        let zone = TimeZone::get(&spec.time_zone).map_err(|_| {
            InvalidOfficeHours(format!(
                "unknown time zone {:?} (an IANA name such as Europe/Paris or America/New_York)",
                spec.time_zone
            ))
        })?;
        if spec.weekly.is_empty() {
            return Err(InvalidOfficeHours(
                "no opening hours given (write them as mon-fri 09:00-17:00)".into(),
            ));
        }
        if spec.weekly.len() > MAX_RANGES {
            return Err(InvalidOfficeHours(format!(
                "at most {MAX_RANGES} ranges of opening hours"
            )));
        }
        let mut ranges = Vec::new();
        for range in &spec.weekly {
            ranges.extend(parse_range(range)?);
        }
        Ok(Self {
            zone,
            spec: spec.clone(),
            ranges,
        })
    }

    pub fn time_zone(&self) -> &str {
        &self.spec.time_zone
    }

    /// As stored and as `org update` took it.
    pub fn spec(&self) -> OfficeHoursSpec {
        self.spec.clone()
    }

    /// Open or closed at `now`, and the next change within the coming fortnight (ranges that touch, as
    /// `mon 09:00-24:00` and `tue 00:00-12:00`, count as one).
    pub fn at(&self, now: Timestamp) -> OfficeHoursAt {
        let today = now.to_zoned(self.zone.clone()).date();
        // Intervals from yesterday (one may still be running) over the next 15 days, in time order.
        let mut intervals: Vec<(Timestamp, Timestamp)> = Vec::new();
        for offset in -1..15 {
            let Ok(day) = today.checked_add(jiff::Span::new().days(offset)) else {
                continue;
            };
            for &(weekday, from, to) in &self.ranges {
                if day.weekday() != weekday {
                    continue;
                }
                if let (Some(start), Some(end)) = (self.instant(day, from), self.instant(day, to)) {
                    if start < end {
                        intervals.push((start, end));
                    }
                }
            }
        }
        intervals.sort();
        let mut merged: Vec<(Timestamp, Timestamp)> = Vec::new();
        for (start, end) in intervals {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        // An interval that runs to the end of the days looked at may go on past them: its end is not known.
        let horizon = today
            .checked_add(jiff::Span::new().days(14))
            .ok()
            .and_then(|day| self.instant(day, 0));
        match merged.iter().find(|(_, end)| *end > now) {
            Some(&(start, end)) if start <= now => OfficeHoursAt {
                open: true,
                next_open_at: None,
                next_close_at: horizon.filter(|h| end < *h).map(|_| end),
            },
            Some(&(start, _)) => OfficeHoursAt {
                open: false,
                next_open_at: Some(start),
                next_close_at: None,
            },
            None => OfficeHoursAt {
                open: false,
                next_open_at: None,
                next_close_at: None,
            },
        }
    }

    /// `minute` minutes into `day` in the org's zone (24:00 is the next midnight). A time skipped by a clock change
    /// is taken as the instant after the gap.
    fn instant(&self, day: Date, minute: u16) -> Option<Timestamp> {
        let (day, minute) = if minute == 24 * 60 {
            (day.tomorrow().ok()?, 0)
        } else {
            (day, minute)
        };
        let civil = day.at((minute / 60) as i8, (minute % 60) as i8, 0, 0);
        self.zone
            .to_ambiguous_zoned(civil)
            .compatible()
            .ok()
            .map(|z| z.timestamp())
    }
}

/// `mon-fri 09:00-17:00`, `sat 10:00-14:00`, `sun 00:00-24:00`.
fn parse_range(text: &str) -> Result<Vec<(Weekday, u16, u16)>, InvalidOfficeHours> {
    let wrong = || {
        InvalidOfficeHours(format!(
            "{text:?} is not a range of opening hours (write it as mon-fri 09:00-17:00)"
        ))
    };
    let (days, times) = text.trim().split_once(' ').ok_or_else(wrong)?;
    let (from, to) = times.trim().split_once('-').ok_or_else(wrong)?;
    let (from, to) = (
        minute_of_day(from).ok_or_else(wrong)?,
        minute_of_day(to).ok_or_else(wrong)?,
    );
    if from >= to {
        return Err(InvalidOfficeHours(format!(
            "{text:?} closes before it opens (a range past midnight is two ranges: mon 22:00-24:00 and tue 00:00-06:00)"
        )));
    }
    let day_index = |name: &str| {
        DAYS.iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(wrong)
    };
    let (first, last) = match days.split_once('-') {
        Some((a, b)) => (day_index(a)?, day_index(b)?),
        None => (day_index(days)?, day_index(days)?),
    };
    if first > last {
        return Err(wrong());
    }
    Ok((first..=last).map(|i| (DAYS[i].1, from, to)).collect())
}

/// `09:00` → 540; `24:00` → 1440.
fn minute_of_day(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(zone: &str, weekly: &[&str]) -> OfficeHours {
        OfficeHours::parse(&OfficeHoursSpec {
            time_zone: zone.into(),
            weekly: weekly.iter().map(|s| s.to_string()).collect(),
        })
        .unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn open_inside_and_closed_outside_in_the_orgs_zone() {
        let paris = hours("Europe/Paris", &["mon-fri 09:00-17:00"]);
        // Monday 2026-11-30 10:00 UTC = 11:00 in Paris (UTC+1).
        let now = paris.at(at("2026-11-30T10:00:00Z"));
        assert!(now.open);
        assert_eq!(now.next_close_at, Some(at("2026-11-30T16:00:00Z")));
        // Friday 17:30 Paris: back on Monday 09:00 Paris.
        let weekend = paris.at(at("2026-12-04T16:30:00Z"));
        assert!(!weekend.open);
        assert_eq!(weekend.next_open_at, Some(at("2026-12-07T08:00:00Z")));
    }

    #[test]
    fn summer_time_moves_the_hours_with_the_clocks() {
        let paris = hours("Europe/Paris", &["mon-sun 09:00-17:00"]);
        // Sunday 2027-03-28 the clocks go forward: 09:00 is 07:00 UTC that day, 08:00 UTC the day before.
        assert_eq!(
            paris.at(at("2027-03-27T18:00:00Z")).next_open_at,
            Some(at("2027-03-28T07:00:00Z"))
        );
    }

    #[test]
    fn always_open_names_no_closing() {
        let always = hours("Asia/Tokyo", &["mon-sun 00:00-24:00"]);
        let now = always.at(at("2026-11-30T10:00:00Z"));
        assert_eq!((now.open, now.next_close_at), (true, None));
    }

    #[test]
    fn ranges_that_touch_midnight_count_as_one() {
        let late = hours("UTC", &["mon 20:00-24:00", "tue 00:00-02:00"]);
        let now = late.at(at("2026-11-30T23:00:00Z"));
        assert!(now.open);
        assert_eq!(now.next_close_at, Some(at("2026-12-01T02:00:00Z")));
    }

    #[test]
    fn refuses_what_it_cannot_read_with_the_reason() {
        let parse = |zone: &str, weekly: &[&str]| {
            OfficeHours::parse(&OfficeHoursSpec {
                time_zone: zone.into(),
                weekly: weekly.iter().map(|s| s.to_string()).collect(),
            })
            .unwrap_err()
            .to_string()
        };
        assert!(parse("Mars/Olympus", &["mon 09:00-17:00"]).contains("unknown time zone"));
        assert!(parse("UTC", &["mon 22:00-06:00"]).contains("past midnight is two ranges"));
        assert!(parse("UTC", &["monday 9-17"]).contains("write it as mon-fri 09:00-17:00"));
        assert!(parse("UTC", &["fri-mon 09:00-17:00"]).contains("write it as"));
        assert!(parse("UTC", &["mon 09:00-25:00"]).contains("write it as"));
        assert!(parse("UTC", &[]).contains("no opening hours"));
    }
}
