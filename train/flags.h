// Flag tables for train_dreambox's commands: each flag once, with its help text, a setter that
// validates the value (errors name the flag and what is accepted) and the default shown by --help.
#pragma once

#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace train {

template <typename O>
struct Flag {
  const char* name;
  std::string help;
  std::function<void(O&, const std::string&)> set;  // throws std::invalid_argument on a bad value
  std::function<std::string(const O&)> show;
  bool is_switch = false;  // takes no value
};

// Whole-string numbers in [lo, hi]; otherwise std::invalid_argument naming --flag.
long long to_integer(const std::string& flag, const std::string& v, long long lo, long long hi);
double to_real(const std::string& flag, const std::string& v, double lo, double hi);
std::string show_real(double v);

template <typename O, typename T>
Flag<O> integer(const char* name, const char* help, T O::*field, long long lo, long long hi) {
  return {
      name, help,
      [=](O& o, const std::string& v) { o.*field = static_cast<T>(to_integer(name, v, lo, hi)); },
      [=](const O& o) { return std::to_string(o.*field); }};
}

template <typename O>
Flag<O> real(const char* name, const char* help, double O::*field, double lo, double hi) {
  return {name, help, [=](O& o, const std::string& v) { o.*field = to_real(name, v, lo, hi); },
          [=](const O& o) { return show_real(o.*field); }};
}

template <typename O>
Flag<O> text(const char* name, const char* help, std::string O::*field) {
  return {name, help, [=](O& o, const std::string& v) { o.*field = v; },
          [=](const O& o) { return o.*field; }};
}

// One of `accepted`; anything else is std::invalid_argument listing them.
template <typename O>
Flag<O> choice(const char* name,
               const char* help,
               std::string O::*field,
               std::vector<std::string> accepted) {
  return {name, help,
          [=](O& o, const std::string& v) {
            std::string list;
            for (const auto& a : accepted) {
              if (v == a) {
                o.*field = v;
                return;
              }
              list += (list.empty() ? "" : " or ") + a;
            }
            throw std::invalid_argument("--" + std::string(name) + ": expected " + list +
                                        ", got '" + v + "'");
          },
          [=](const O& o) { return o.*field; }};
}

template <typename O>
Flag<O> toggle(const char* name, const char* help, bool O::*field, bool value) {
  return {name, help, [=](O& o, const std::string&) { o.*field = value; },
          [=](const O& o) { return std::string(o.*field == value ? "on" : "off"); }, true};
}

// Applies args[first..] ("--name value", "--name=value" or a switch "--name") to `o`; an unknown
// flag or a missing value is std::invalid_argument that points at `help_command`.
template <typename O>
void apply_flags(const std::vector<Flag<O>>& table,
                 const std::vector<std::string>& args,
                 std::size_t first,
                 O& o,
                 const std::string& help_command) {
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0)
      throw std::invalid_argument("unexpected argument '" + a + "' (flags start with --)");
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    const Flag<O>* flag = nullptr;
    for (const auto& f : table)
      if (name == f.name) flag = &f;
    if (flag == nullptr)
      throw std::invalid_argument("unknown flag --" + name + "; see " + help_command);
    if (!flag->is_switch && !inline_value) {
      if (i + 1 >= args.size()) throw std::invalid_argument("--" + name + " needs a value");
      value = args[++i];
    }
    flag->set(o, value);
  }
}

// One line per flag: "--name VALUE   help [default]".
template <typename O>
std::string flags_help(const std::vector<Flag<O>>& table, const O& defaults) {
  std::ostringstream out;
  for (const auto& f : table) {
    std::string left = std::string("  --") + f.name + (f.is_switch ? "" : " VALUE");
    left.resize(std::max<std::size_t>(left.size() + 1, 28), ' ');
    out << left << f.help << " [" << f.show(defaults) << "]\n";
  }
  return out.str();
}

}  // namespace train
