// Character sets an HL7 sender may declare in MSH-18. The engine works in
// UTF-8; ISO-8859-1 senders are converted on the way in and their ACKs on the
// way out.
#pragma once
#include <string>
#include <string_view>

namespace artery::mllp {

// True when an MSH-18 value names ISO-8859-1 ("8859/1", also "ISO-8859-1").
bool names_latin1(std::string_view msh18);

// True when every byte is ASCII (no conversion can change the text).
bool is_ascii(std::string_view text);

// Each byte 0x80-0xFF becomes its two-byte UTF-8 form.
std::string latin1_to_utf8(std::string_view text);

// UTF-8 back to ISO-8859-1; code points above U+00FF and invalid sequences
// become '?' (an ACK must still go out).
std::string utf8_to_latin1(std::string_view text);

}  // namespace artery::mllp
