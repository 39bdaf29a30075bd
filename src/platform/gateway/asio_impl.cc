// The one translation unit that compiles Boost.Asio and Boost.Beast
// (BOOST_ASIO_SEPARATE_COMPILATION / BOOST_BEAST_SEPARATE_COMPILATION), so the files that use
// them compile against declarations only.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
