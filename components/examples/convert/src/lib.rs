//! `convert`: a realistic function. `POST /convert` takes `{"value": 21.5, "from": "celsius",
//! "to": "fahrenheit"}` and answers the converted value; bad JSON is a 400 and an unknown unit
//! a 422, both as problem responses that say what to fix.
use edgeway_sdk::{Handler, Problem, Request, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Conversion {
    value: f64,
    from: String,
    to: String,
}

/// Units by kind, each as (name, factor to the base unit, offset) with base = value * factor + offset.
const UNITS: &[(&str, &str, f64, f64)] = &[
    ("length", "meter", 1.0, 0.0),
    ("length", "kilometer", 1000.0, 0.0),
    ("length", "mile", 1609.344, 0.0),
    ("length", "foot", 0.3048, 0.0),
    ("temperature", "celsius", 1.0, 0.0),
    ("temperature", "fahrenheit", 5.0 / 9.0, -160.0 / 9.0),
    ("temperature", "kelvin", 1.0, -273.15),
];

fn unit(name: &str) -> Result<(&'static str, f64, f64), Problem> {
    UNITS
        .iter()
        .find(|u| u.1 == name)
        .map(|u| (u.0, u.2, u.3))
        .ok_or_else(|| {
            let known: Vec<&str> = UNITS.iter().map(|u| u.1).collect();
            Problem::new(
                422,
                "Unknown unit",
                format!("unknown unit `{name}`; known units: {}", known.join(", ")),
            )
        })
}

struct Convert;

impl Handler for Convert {
    fn handle(request: Request) -> Result<Response, Problem> {
        let conversion: Conversion = request.json()?;
        let (from_kind, from_factor, from_offset) = unit(&conversion.from)?;
        let (to_kind, to_factor, to_offset) = unit(&conversion.to)?;
        if from_kind != to_kind {
            return Err(Problem::new(
                422,
                "Incompatible units",
                format!(
                    "cannot convert {from_kind} (`{}`) to {to_kind} (`{}`)",
                    conversion.from, conversion.to
                ),
            ));
        }
        let base = conversion.value * from_factor + from_offset;
        let value = (base - to_offset) / to_factor;
        Ok(Response::json(
            200,
            &json!({ "value": value, "unit": conversion.to }),
        ))
    }
}

edgeway_sdk::export!(Convert);
