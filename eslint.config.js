import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist*/**", "node_modules/**", "**/build/**", "governance/build-*/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-explicit-any": "error",
      eqeqeq: ["error", "always"],
      "no-console": "off",
    },
  },
  {
    // The constitution runs in QuickJS: CCF's globals, and its four files share one module scope.
    files: ["sandbox/gov/constitution/*.js"],
    languageOptions: { globals: { ccf: "readonly", actions: "readonly" } },
    rules: { "no-unused-vars": "off", "@typescript-eslint/no-unused-vars": "off" },
  },
  {
    // Our constitution additions: appended to the default constitution, so they use its helpers.
    files: ["governance/constitution/*.js"],
    languageOptions: {
      globals: {
        ccf: "readonly",
        actions: "readonly",
        resolvers: "readonly",
        fail: "readonly",
        checkType: "readonly",
        checkOptional: "readonly",
        checkEnum: "readonly",
        checkArgs: "readonly",
        checkEntityId: "readonly",
        getJson: "readonly",
        setJson: "readonly",
        kvString: "readonly",
        SINGLETON_KEY: "readonly",
      },
    },
    rules: { "no-unused-vars": "off", "@typescript-eslint/no-unused-vars": "off" },
  },
  {
    files: ["demos/*/src/**/*.js"],
    languageOptions: { globals: { ccf: "readonly" } },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: { console: "readonly", process: "readonly", URL: "readonly" } },
  },
);
