// NUL and control characters in paths, names and labels (issue 19, defect 4: a NUL in a video job's
// path was cut off and the job ran on the truncated path). The helper itself, then each place the
// library takes such text: on a truncated path each of these would have found the real file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "vigil/image.h"
#include "vigil/model_manifest.h"
#include "vigil/model_repository.h"
#include "vigil/text_checks.h"
#include "vigil/video.h"

namespace vigil {
namespace {

using namespace std::string_literals;

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("vigil_text_" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& bytes) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

void ExpectControlCharacterError(const Status& s, const std::string& what) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << what << ": " << s.ToString();
  EXPECT_NE(s.message().find("control character"), std::string::npos) << what << ": " << s.ToString();
}

TEST(TextChecks, RefusesNulAndControlCharactersAndNamesTheByte) {
  EXPECT_TRUE(CheckText("", "x").ok());
  EXPECT_TRUE(CheckText("/videos/été 2026 (1).mp4", "path").ok());  // UTF-8 and spaces are fine
  for (const std::string& bad : {"a\0b"s, "a\nb"s, "a\rb"s, "a\tb"s, "\x1b[31m"s, "a\x7f"s}) {
    EXPECT_TRUE(HasControlCharacter(bad));
    ExpectControlCharacterError(CheckText(bad, "path"), "CheckText");
  }
  const Status s = CheckText("abc\0def"s, "job input");
  EXPECT_EQ(s.message(), "job input contains a control character (0x00 at byte 3)");
  EXPECT_FALSE(HasControlCharacter("plain"));
}

TEST(TextChecks, NamesAreOnePathComponent) {
  EXPECT_TRUE(CheckName("nsfw_mobilenet_v2", "model name").ok());
  for (const std::string& bad : {""s, "."s, ".."s, "a/b"s, "a\\b"s, "a\0b"s, std::string(256, 'a')}) {
    EXPECT_EQ(CheckName(bad, "model name").code(), StatusCode::kInvalidArgument) << bad.size();
  }
}

TEST(TextChecks, VideoAndImagePathsWithANulAreRefusedNotTruncated) {
  TempDir dir;
  const std::string video = dir.Write("clip.mp4", std::string(4096, 'x'));
  ExpectControlCharacterError(VideoReader::Open(video + "\0.txt"s, {}).status(), "VideoReader::Open");
  const std::string image = dir.Write("a.jpg", std::string(100, 'x'));
  ExpectControlCharacterError(ReadFileBytes(image + "\0.png"s, 1 << 20).status(), "ReadFileBytes");
  ExpectControlCharacterError(ReadImageFile(image + "\0"s).status(), "ReadImageFile");
}

TEST(TextChecks, ModelNamesAndLabels) {
  ExpectControlCharacterError(ParseModelRef("nsfw\0:1"s).status(), "ParseModelRef");
  ExpectControlCharacterError(ParseModelRef("nsfw\n"s).status(), "ParseModelRef");
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/m/1");
  auto repo = ModelRepository::Open(dir.path());
  ASSERT_TRUE(repo.ok());
  ExpectControlCharacterError((*repo)->Find("m\0x"s, 1).status(), "ModelRepository::Find");

  ModelManifest m;
  m.name = "ok_name";
  m.version = 1;
  m.labels = {"cat", "dog"};
  m.probabilities_output = "probs";
  m.input.width = m.input.height = 224;
  ASSERT_TRUE(ValidateManifest(m).ok()) << ValidateManifest(m).ToString();
  m.name = "..";
  EXPECT_EQ(ValidateManifest(m).code(), StatusCode::kInvalidArgument);
  m.name = "ok_name";
  m.labels = {"cat", "do\0g"s};
  ExpectControlCharacterError(ValidateManifest(m), "ValidateManifest label");
}

}  // namespace
}  // namespace vigil
