/**
 * Passwords of 12+ characters seen at the top of public breach lists, plus
 * patterns that such lists are full of (one repeated character, keyboard
 * runs, digit runs, "password" with a suffix). Shorter ones fail on length.
 */
const LIST = new Set(
  `123456789012 1234567890123 12345678901234 123456789123 1234567891011 123123123123 111111111111
000000000000 qwertyuiopas qwertyuiop123 qwertyuiop1234 qwertyuiopasdf qwertyuiopasdfgh 1qaz2wsx3edc 1q2w3e4r5t6y
1q2w3e4r5t6y7u 1qazxsw23edc zaq12wsxcde3 asdfghjkl123 asdfghjkl1234 zxcvbnm12345 zxcvbnm123456 passwordpassword
password1234 password12345 password123456 password123! password1234! passw0rd1234 p@ssw0rd1234 p@ssword1234
iloveyou1234 iloveyou12345 iloveyouiloveyou letmein12345 letmeinletmein welcome12345 welcome123456 welcome1234!
administrator admin1234567 admin12345678 administrator1 changeme1234 changemenow! trustno1trustno1 sunshine1234
princess1234 football1234 baseball1234 superman1234 starwars1234 monkey123456 dragon123456 master123456
qwerty123456 qwerty1234567 abc123456789 abcdefghijkl abcdefghijklm abcd12345678 a1b2c3d4e5f6 michael12345
jennifer1234 computer1234 internet1234 whatever1234 elephant1234 chocolate123 butterfly123 basketball12
basketball123 liverpool123 manchester12 spiderman123 pokemon12345 minecraft123 fortnite1234 summer202020
autumn2020202 winter202020 spring202020 devflow12345 devflowpro123 correcthorsebatterystaple
thequickbrownfox 1234qwerasdfzxcv qwerasdfzxcv1234 987654321098 098765432109 147258369147 159753159753`.split(/\s+/),
);

function isRun(s: string, alphabet: string): boolean {
  return s.length > 3 && (alphabet.includes(s) || alphabet.split('').reverse().join('').includes(s));
}

/** True when the password is on the list or is a trivial pattern. */
export function isCommonPassword(password: string): boolean {
  const p = password.toLowerCase();
  if (LIST.has(p)) return true;
  if (/^(.)\1+$/.test(p)) return true;
  if (/^(.{1,4})\1+$/.test(p)) return true; // "abcabcabcabc", "12121212…"
  const digits = '0123456789012345678901234567890123456789';
  const keys = 'qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm';
  const alpha = 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz';
  if (isRun(p, digits) || isRun(p, keys) || isRun(p, alpha)) return true;
  if (/^(password|passw0rd|p@ssw0rd|p@ssword|qwerty|letmein|welcome|admin|iloveyou|devflow)[\d!@#$%^&*._-]*$/.test(p)) {
    return true;
  }
  return false;
}
