package queries

import "strings"

// QualityDimension is one of the six dimensions of data quality a test checks, as Elementary names them.
type QualityDimension string

// Quality dimensions.
const (
	DimFreshness    QualityDimension = "freshness"
	DimCompleteness QualityDimension = "completeness"
	DimUniqueness   QualityDimension = "uniqueness"
	DimValidity     QualityDimension = "validity"
	DimAccuracy     QualityDimension = "accuracy"
	DimConsistency  QualityDimension = "consistency"
)

// QualityDimensions lists every dimension, in the order answers show them.
func QualityDimensions() []QualityDimension {
	return []QualityDimension{DimFreshness, DimCompleteness, DimUniqueness, DimValidity, DimAccuracy, DimConsistency}
}

// qualityDimension is the dimension a test counts in: its meta.quality_dimension, else the dimension Elementary
// recorded in dbt_tests.quality_dimension, else Elementary's mapping by the test's namespace ("dbt" when it has
// none) and name (its original generic name, else its short name); "" when none of them knows it (unclassified:
// listed, not scored). A value that is not one of the six is unclassified too.
func qualityDimension(meta map[string]any, recorded, namespace, originalName, shortName string) QualityDimension {
	for _, v := range []string{metaString(meta, "quality_dimension"), recorded} {
		if d, ok := asDimension(v); ok {
			return d
		}
	}
	if namespace == "" {
		namespace = "dbt"
	}
	names := elementaryDimensions[strings.ToLower(namespace)]
	for _, name := range []string{originalName, shortName} {
		if d, ok := names[strings.ToLower(name)]; ok && name != "" {
			return d
		}
	}
	return ""
}

// ParseQualityDimension reads a dimension's name, without case.
func ParseQualityDimension(s string) (QualityDimension, bool) { return asDimension(s) }

// asDimension reads a dimension's name, without case.
func asDimension(s string) (QualityDimension, bool) {
	d := QualityDimension(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range QualityDimensions() {
		if d == known {
			return d, true
		}
	}
	return "", false
}
