// Credential and region resolution: precedence (explicit, environment, credentials file,
// config file), profiles, and refusals. The environment is a MapEnvironment and the shared
// files live in a fresh temporary directory, so the process environment is never read.
#include "platform/aws/credentials.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace bakery::aws {
namespace {

namespace fs = std::filesystem;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("bakery-aws-credentials-" + std::to_string(rd()));
    fs::create_directories(dir_ / ".aws");
    env_["HOME"] = dir_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  void writeCredentials(const std::string& text) { write(dir_ / ".aws/credentials", text); }
  void writeConfig(const std::string& text) { write(dir_ / ".aws/config", text); }

  core::Result<ResolvedCredentials> credentials(const AwsSettings& settings = {}) {
    return resolveCredentials(settings, MapEnvironment(env_));
  }
  core::Result<ResolvedRegion> region(const AwsSettings& settings = {}) {
    return resolveRegion(settings, MapEnvironment(env_));
  }

  fs::path dir_;
  std::map<std::string, std::string, std::less<>> env_;
};

TEST_F(CredentialsTest, ExplicitSettingsComeFirst) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  writeCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  auto c = credentials({.accessKeyId = "EXPLICIT", .secretAccessKey = "s", .sessionToken = "t"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "EXPLICIT");
  EXPECT_EQ(c->credentials.secretAccessKey, "s");
  EXPECT_EQ(c->credentials.sessionToken, "t");
  EXPECT_EQ(c->source, "explicit settings");
}

TEST_F(CredentialsTest, EnvironmentComesBeforeTheFiles) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_["AWS_SESSION_TOKEN"] = "envtoken";
  writeCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  auto c = credentials();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "ENVKEY");
  EXPECT_EQ(c->credentials.secretAccessKey, "envsecret");
  EXPECT_EQ(c->credentials.sessionToken, "envtoken");
  EXPECT_EQ(c->source, "environment");
}

TEST_F(CredentialsTest, DefaultProfileOfTheSharedCredentialsFile) {
  writeCredentials(
      "# comment\n"
      "[other]\naws_access_key_id = OTHER\naws_secret_access_key = othersecret\n"
      "\n[default]\n  ; indented comment\naws_access_key_id=FILEKEY\n"
      "aws_secret_access_key =  filesecret  \naws_session_token = filetoken\n");
  auto c = credentials();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "FILEKEY");
  EXPECT_EQ(c->credentials.secretAccessKey, "filesecret");
  EXPECT_EQ(c->credentials.sessionToken, "filetoken");
  EXPECT_EQ(c->source, (dir_ / ".aws/credentials").string() + " [default]");
}

TEST_F(CredentialsTest, AwsProfileSelectsTheProfile) {
  env_["AWS_PROFILE"] = "work";
  writeCredentials(
      "[default]\naws_access_key_id = DEFAULT\naws_secret_access_key = d\n"
      "[work]\naws_access_key_id = WORK\naws_secret_access_key = w\n");
  auto c = credentials();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "WORK");
}

TEST_F(CredentialsTest, ExplicitProfileWinsOverAwsProfile) {
  env_["AWS_PROFILE"] = "work";
  writeCredentials(
      "[work]\naws_access_key_id = WORK\naws_secret_access_key = w\n"
      "[play]\naws_access_key_id = PLAY\naws_secret_access_key = p\n");
  auto c = credentials({.profile = "play"});
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "PLAY");
}

TEST_F(CredentialsTest, CredentialsFileLocationComesFromTheEnvironment) {
  fs::path elsewhere = dir_ / "elsewhere/creds";
  write(elsewhere, "[default]\naws_access_key_id = MOVED\naws_secret_access_key = m\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = elsewhere.string();
  auto c = credentials();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "MOVED");
}

TEST_F(CredentialsTest, ConfigFileProfileHoldsCredentialsWhenTheCredentialsFileDoesNot) {
  env_["AWS_PROFILE"] = "ci";
  writeConfig(
      "[profile ci]\nregion = eu-west-1\naws_access_key_id = CONFIGKEY\n"
      "aws_secret_access_key = configsecret\n");
  auto c = credentials();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "CONFIGKEY");
  EXPECT_EQ(c->source, (dir_ / ".aws/config").string() + " [ci]");
}

TEST_F(CredentialsTest, CredentialsFileWinsOverConfigFileForTheSameProfile) {
  writeCredentials("[default]\naws_access_key_id = CREDS\naws_secret_access_key = c\n");
  writeConfig("[default]\naws_access_key_id = CONFIG\naws_secret_access_key = c\n");
  auto c = credentials();
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->credentials.accessKeyId, "CREDS");
}

TEST_F(CredentialsTest, PartialEnvironmentCredentialsAreRefusedRatherThanSkipped) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  writeCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = f\n");
  auto c = credentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().type(), kInvalidAwsConfiguration);
  EXPECT_EQ(c.error().message(),
            "Partial credentials found in environment, missing: AWS_SECRET_ACCESS_KEY");
}

TEST_F(CredentialsTest, PartialProfileIsRefused) {
  writeCredentials("[default]\naws_secret_access_key = onlythesecret\n");
  auto c = credentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().type(), kInvalidAwsConfiguration);
  EXPECT_NE(c.error().message().find("missing: aws_access_key_id"), std::string::npos);
  EXPECT_EQ(c.error().message().find("onlythesecret"), std::string::npos);
}

TEST_F(CredentialsTest, NamedProfileThatDoesNotExistIsRefused) {
  env_["AWS_PROFILE"] = "nope";
  writeCredentials("[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = f\n");
  auto c = credentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().type(), kInvalidAwsConfiguration);
  EXPECT_EQ(c.error().message(), "The config profile (nope) could not be found");
}

TEST_F(CredentialsTest, NothingAnywhereIsCredentialsNotFound) {
  auto c = credentials();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().type(), kCredentialsNotFound);
}

TEST_F(CredentialsTest, RegionPrecedenceIsExplicitThenAwsRegionThenDefaultRegionThenConfig) {
  writeConfig("[default]\nregion = eu-central-1\n");
  auto fromConfig = region();
  ASSERT_TRUE(fromConfig.ok()) << fromConfig.error().message();
  EXPECT_EQ(fromConfig->region, "eu-central-1");

  env_["AWS_DEFAULT_REGION"] = "us-west-1";
  EXPECT_EQ(region()->region, "us-west-1");
  EXPECT_EQ(region()->source, "AWS_DEFAULT_REGION");

  env_["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(region()->region, "us-west-2");
  EXPECT_EQ(region()->source, "AWS_REGION");

  EXPECT_EQ(region({.region = "ap-south-1"})->region, "ap-south-1");
}

TEST_F(CredentialsTest, RegionComesFromTheSelectedConfigProfile) {
  writeConfig(
      "[default]\nregion = eu-central-1\n[profile work]\nregion = sa-east-1\n"
      "s3 =\n  max_concurrent_requests = 20\n  region = not-a-profile-setting\n");
  env_["AWS_PROFILE"] = "work";
  auto r = region();
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->region, "sa-east-1");
  EXPECT_EQ(r->source, (dir_ / ".aws/config").string() + " [work]");
}

TEST_F(CredentialsTest, ConfigFileLocationComesFromTheEnvironment) {
  fs::path elsewhere = dir_ / "cfg/config";
  write(elsewhere, "[profile default]\nregion = ca-central-1\n");
  env_["AWS_CONFIG_FILE"] = elsewhere.string();
  EXPECT_EQ(region()->region, "ca-central-1");
}

TEST_F(CredentialsTest, NoRegionAnywhereIsRegionNotFound) {
  auto r = region();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().type(), kRegionNotFound);
}

TEST(EnvironmentTest, MapEnvironmentReturnsOnlyItsOwnVariables) {
  MapEnvironment env(std::map<std::string, std::string, std::less<>>{{"A", "1"}});
  EXPECT_EQ(env.get("A"), "1");
  EXPECT_FALSE(env.get("PATH").has_value());
}

}  // namespace
}  // namespace bakery::aws
