// The destination types kith knows: for each, its actions (the first is the
// default) and its settings. This is the one table of destination types:
// `kith apply` validates activations against it, `kith destinations` prints
// it, and the delivery factory (destination.hpp) builds the types it
// implements from it. It is plain data and depends on nothing but the
// standard library, so any module may read it.
//
//   const deliver::DestinationType* t = deliver::FindDestinationType("braze");
//   if (t) for (const auto& s : t->settings) if (s.required) ...;
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kith::deliver {

//! What a setting's value is.
enum class SettingKind {
    STRING,     //!< a non-empty string (one of `choices` when it has any)
    URL,        //!< an http:// or https:// URL
    INTEGER,    //!< an integer from 1 to `max`
    OBJECT,     //!< any JSON object
    STRING_MAP, //!< a JSON object whose values are strings
    SECRET,     //!< a non-empty string (an API key, a write key) that the API never shows once saved
    SECRET_MAP, //!< a JSON object whose values are strings the API never shows once saved (request headers)
};
//! "string", "url", "integer", "object", "object of strings", "secret", "object of secrets".
std::string_view SettingKindName(SettingKind kind);
//! Whether settings of this kind are write-only (activations.md, "Roles": secrets are never returned).
bool IsSecret(SettingKind kind);

//! One setting of a destination, in the activation's `destination` object.
struct Setting {
    std::string name;
    SettingKind kind = SettingKind::STRING;
    bool required = false;
    int64_t max = 0;                  //!< INTEGER: the largest value
    std::vector<std::string> choices; //!< STRING: the allowed values, when limited
    std::string description;
    std::string label = {};         //!< the name shown to people ("REST Endpoint"); "" for the name itself
    std::string default_value = {}; //!< what an absent setting means, as text ("" when nothing)
    std::string unless = {};        //!< a required setting is not needed when this other one is given (a base URL)
};

//! What a mapped field's value must be.
enum class FieldType {
    STRING,   //!< a string (numbers are not converted)
    INTEGER,  //!< an integer
    NUMBER,   //!< any number
    BOOLEAN,  //!< true or false
    DATETIME, //!< an ISO 8601 string (or epoch seconds/milliseconds as a number)
    OBJECT,   //!< a JSON object
    ARRAY,    //!< a JSON array
    ANY,      //!< any JSON value
};
//! "string", "integer", "number", "boolean", "datetime", "object", "array", "any".
std::string_view FieldTypeName(FieldType type);

//! One field an action fills from the event through the activation's mapping (Segment's action fields).
struct Field {
    std::string name;
    FieldType type = FieldType::STRING;
    bool required = false;       //!< an event whose mapped value is missing (undefined or null) fails
    std::string default_mapping; //!< JSON: the mapping used when the activation's mapping does not name the field
                                 //!< ("" for none), e.g. {"@path": "$.userId"}
    std::string description;
    std::string label; //!< the name shown to people ("External User ID"); "" for the name itself
};

//! One action of a destination type: what a request to it does.
struct Action {
    std::string name;
    std::string description;
    //! The fields the action's requests are built from, required ones first. Empty: the action is free-form, its
    //! mapping is the whole mapped payload (null: the event itself).
    std::vector<Field> fields;
    std::string label = {}; //!< the name shown to people ("Track Event"); "" for the name itself
};


struct DestinationType {
    std::string type;
    std::string description;
    std::vector<Action> actions;   //!< the first is the default
    std::vector<Setting> settings; //!< this type's own settings; CommonSettings() apply too
};

//! Every destination type, in a fixed order (webhook, braze, iterable, segment, file).
const std::vector<DestinationType>& DestinationTypes();

//! The settings every destination type takes (rate limit, size limit, destination filter).
const std::vector<Setting>& CommonSettings();

//! The type named `type`, or nullptr.
const DestinationType* FindDestinationType(std::string_view type);

//! The action named `name` of `type`, or nullptr.
const Action* FindAction(const DestinationType& type, std::string_view name);

//! The type names, comma-separated, for messages ("webhook, braze, ...").
std::string DestinationTypeList();

} // namespace kith::deliver
