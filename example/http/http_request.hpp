// What an HTTP/1.1 static file server answers to one request head, with no I/O library in
// sight: the blitz server (http_server.hpp) and its Boost.Asio peer (perf/asio_http_server.cpp)
// both include it, so the benchmark compares the I/O and nothing else.
//
// The input is one request head, from the request line through the blank line that ends the
// headers. The output is the response head, the body, and whether the connection must close.
#ifndef BLITZ_EXAMPLE_HTTP_REQUEST_HPP
#define BLITZ_EXAMPLE_HTTP_REQUEST_HPP

#include <sys/stat.h>

#include <cctype>
#include <cstddef>
#include <fstream>
#include <string>

namespace http {

struct response
{
  std::string head;
  std::string body;
  bool close = false;
};

namespace detail {

inline bool iequals(const std::string& a, const char* b)
{
  std::size_t i = 0;
  for (; i < a.size() && b[i]; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return i == a.size() && !b[i];
}

// RFC 9110 token characters: what a method or a header name may be made of.
inline bool is_token(const std::string& s)
{
  if (s.empty())
    return false;
  for (unsigned char c : s)
    if (!(std::isalnum(c) || std::string("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string::npos))
      return false;
  return true;
}

inline std::string trim(const std::string& s)
{
  std::size_t b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// True when the comma-separated header value lists `token` (Connection: keep-alive, Upgrade).
inline bool has_token(const std::string& value, const char* token)
{
  std::size_t pos = 0;
  while (pos <= value.size())
  {
    std::size_t comma = value.find(',', pos);
    if (comma == std::string::npos)
      comma = value.size();
    if (iequals(trim(value.substr(pos, comma - pos)), token))
      return true;
    pos = comma + 1;
  }
  return false;
}

inline int hex(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Maps an origin-form target to a path under the document root, or "" when it must be refused:
// not origin-form, bad %-escapes, a NUL, or a ".." segment (which could climb out of the root,
// whether written plainly or %-encoded, hence the check after decoding).
inline std::string target_to_path(const std::string& target)
{
  std::string raw = target.substr(0, target.find_first_of("?#"));
  if (raw.empty() || raw[0] != '/')
    return std::string();
  std::string path;
  for (std::size_t i = 0; i < raw.size(); ++i)
  {
    if (raw[i] != '%')
    {
      path += raw[i];
      continue;
    }
    if (i + 2 >= raw.size() || hex(raw[i + 1]) < 0 || hex(raw[i + 2]) < 0)
      return std::string();
    path += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
    i += 2;
  }
  if (path.find('\0') != std::string::npos)
    return std::string();
  for (std::size_t pos = 0; pos < path.size();)
  {
    std::size_t end = path.find('/', pos + 1);
    if (end == std::string::npos)
      end = path.size();
    if (path.compare(pos, end - pos, "/..") == 0)
      return std::string();
    pos = end;
  }
  if (path.back() == '/')
    path += "index.html";
  return path;
}

inline const char* content_type(const std::string& path)
{
  static const struct
  {
    const char* ext;
    const char* type;
  } types[] = {{".html", "text/html"},       {".htm", "text/html"},
               {".txt", "text/plain"},       {".css", "text/css"},
               {".js", "application/javascript"}, {".png", "image/png"},
               {".jpg", "image/jpeg"},       {".jpeg", "image/jpeg"},
               {".json", "application/json"}};
  std::size_t dot = path.rfind('.');
  if (dot != std::string::npos && path.find('/', dot) == std::string::npos)
    for (const auto& t : types)
      if (iequals(path.substr(dot), t.ext))
        return t.type;
  return "application/octet-stream";
}

inline const char* reason(int status)
{
  switch (status)
  {
  case 200: return "OK";
  case 400: return "Bad Request";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 501: return "Not Implemented";
  default: return "Internal Server Error";
  }
}

inline void finish(int status, const char* type, std::size_t length, const char* extra,
                   response& out)
{
  out.head = "HTTP/1.1 ";
  out.head += std::to_string(status);
  out.head += ' ';
  out.head += reason(status);
  out.head += "\r\nServer: blitz-http\r\nContent-Type: ";
  out.head += type;
  out.head += "\r\nContent-Length: ";
  out.head += std::to_string(length);
  out.head += "\r\nConnection: ";
  out.head += out.close ? "close" : "keep-alive";
  out.head += "\r\n";
  out.head += extra;
  out.head += "\r\n";
}

} // namespace detail

// A response that carries a short text body explaining the status.
inline void error_response(int status, bool close, bool head_only, response& out)
{
  out.close = close;
  std::string text = std::to_string(status) + " " + detail::reason(status) + "\n";
  detail::finish(status, "text/plain", text.size(), status == 405 ? "Allow: GET, HEAD\r\n" : "", out);
  out.body = head_only ? std::string() : text;
}

// Answers the request head in [data, data + size) (ending with the blank line) from files
// under doc_root.
inline void respond(const char* data, std::size_t size, const std::string& doc_root,
                    response& out)
{
  std::string head(data, size);
  std::size_t eol = head.find("\r\n");
  std::string line = head.substr(0, eol);
  std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (eol == std::string::npos || sp1 == std::string::npos || sp1 == sp2)
    return error_response(400, true, false, out);
  std::string method = line.substr(0, sp1);
  std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string version = line.substr(sp2 + 1);
  if (!detail::is_token(method) || target.empty() || target.find(' ') != std::string::npos ||
      (version != "HTTP/1.1" && version != "HTTP/1.0"))
    return error_response(400, true, false, out);

  bool http10 = version == "HTTP/1.0";
  bool keep_alive = !http10, has_body = false;
  for (std::size_t pos = eol + 2; pos < size;)
  {
    std::size_t end = head.find("\r\n", pos);
    if (end == pos)
      break; // the blank line
    std::string field = head.substr(pos, end - pos);
    std::size_t colon = field.find(':');
    // A bare CR or LF inside a line, or a folded continuation line, is not HTTP/1.1.
    if (colon == std::string::npos || !detail::is_token(field.substr(0, colon)) ||
        field.find_first_of("\r\n") != std::string::npos)
      return error_response(400, true, false, out);
    std::string name = field.substr(0, colon), value = detail::trim(field.substr(colon + 1));
    if (detail::iequals(name, "Connection"))
    {
      if (detail::has_token(value, "close"))
        keep_alive = false;
      else if (detail::has_token(value, "keep-alive"))
        keep_alive = true;
    }
    // This server reads no bodies: after one, the next bytes would not be a request head.
    else if ((detail::iequals(name, "Content-Length") && value != "0") ||
             detail::iequals(name, "Transfer-Encoding"))
      has_body = true;
    pos = end + 2;
  }
  bool close = !keep_alive || has_body;
  bool head_only = method == "HEAD";

  if (method != "GET" && !head_only)
  {
    static const char* const known[] = {"POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    for (const char* k : known)
      if (method == k)
        return error_response(405, close, false, out);
    return error_response(501, close, false, out);
  }
  std::string path = detail::target_to_path(target);
  if (path.empty())
    return error_response(400, close, head_only, out);
  path = doc_root + path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return error_response(404, close, head_only, out);

  out.close = close;
  out.body.clear();
  if (!head_only)
  {
    std::ifstream in(path, std::ios::binary);
    out.body.resize(static_cast<std::size_t>(st.st_size));
    if (!in.read(&out.body[0], static_cast<std::streamsize>(out.body.size())))
      return error_response(404, close, head_only, out); // vanished or shrank since stat
  }
  detail::finish(200, detail::content_type(path), static_cast<std::size_t>(st.st_size), "", out);
}

} // namespace http

#endif
