//! Role-based access rules in tokenleader's YAML format.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use super::error::AccessMapError;

/// Which access rules each role grants, e.g. from
///
/// ```yaml
/// - name: role1
///   allow:
///   - rule1
///   - rule3
/// - name: role2
///   allow:
///   - rule2
/// ```
///
/// Cheap to clone. A role listed twice grants the union of its entries.
#[derive(Debug, Clone, Default)]
pub struct AccessMap {
    rules_by_role: Arc<HashMap<String, HashSet<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleEntry {
    name: String,
    #[serde(default)]
    allow: Vec<String>,
}

impl AccessMap {
    /// Parses the YAML list of `{name, allow}` roles.
    pub fn from_yaml_str(yaml: &str) -> Result<Self, AccessMapError> {
        // An empty file means "no roles", not a parse error.
        let entries: Option<Vec<RoleEntry>> = serde_norway::from_str(yaml)?;
        let mut rules_by_role: HashMap<String, HashSet<String>> = HashMap::new();
        for entry in entries.unwrap_or_default() {
            rules_by_role
                .entry(entry.name)
                .or_default()
                .extend(entry.allow);
        }
        Ok(Self {
            rules_by_role: Arc::new(rules_by_role),
        })
    }

    /// Reads and parses a YAML file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Self, AccessMapError> {
        let path = path.as_ref();
        let yaml = std::fs::read_to_string(path).map_err(|source| AccessMapError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml_str(&yaml)
    }

    /// True when any of `roles` allows `rule`.
    pub fn allows(&self, roles: &[String], rule: &str) -> bool {
        roles.iter().any(|role| {
            self.rules_by_role
                .get(role)
                .is_some_and(|rules| rules.contains(rule))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: &str = "
- name: role1
  allow:
  - rule1
  - rule3
- name: role2
  allow:
  - rule2
";

    fn roles(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_role_allows_exactly_the_rules_listed_under_it() {
        let map = AccessMap::from_yaml_str(YAML).unwrap();
        assert!(map.allows(&roles(&["role1"]), "rule3"));
        assert!(!map.allows(&roles(&["role1"]), "rule2"));
        assert!(map.allows(&roles(&["role3", "role2"]), "rule2"));
        assert!(!map.allows(&[], "rule1"));
    }

    #[test]
    fn an_empty_file_allows_nothing_and_a_wrong_shape_is_an_error() {
        assert!(
            !AccessMap::from_yaml_str("")
                .unwrap()
                .allows(&roles(&["role1"]), "rule1")
        );
        assert!(AccessMap::from_yaml_str("role1: [rule1]").is_err());
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = AccessMap::from_path("/nonexistent/roles.yml").unwrap_err();
        assert!(err.to_string().contains("/nonexistent/roles.yml"));
    }
}
