// Field constraints used by recipe structs' visit() methods. A section struct lists its
// fields once, in visit(); the YAML reader, the writer, `--set` overrides, key listing
// (for did-you-mean) and validation are all visitors over that one list, so a field
// cannot be parsed but not printed, or validated but not overridable.
//
// Visitor protocol (what a section's `template <class V> void visit(V& v)` may call):
//   v.field(key, bool&,                     doc)
//   v.field(key, int&,                      doc, Range)
//   v.field(key, std::int64_t&,             doc, Range)
//   v.field(key, double&,                   doc, Range)
//   v.field(key, std::string&,              doc)             free text / path
//   v.field(key, std::string&,              doc, Choices)    enum spelled as text
//   v.field(key, std::vector<int>&,         doc, Range)      Range applies per element
//   v.field(key, std::vector<double>&,      doc, Range)
//   v.section(key, Sub&,                    doc)             nested struct with visit()
#pragma once

#include <limits>
#include <string>
#include <vector>

namespace tinynas::config {

/// Inclusive numeric range. Defaults to "any finite value".
struct Range {
  double lo = -std::numeric_limits<double>::max();
  double hi = std::numeric_limits<double>::max();
};

/// Closed set of allowed spellings for a text field.
struct Choices {
  std::vector<std::string> values;
};

}  // namespace tinynas::config
